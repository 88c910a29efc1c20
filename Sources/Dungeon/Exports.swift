// Dungeon's public API speaks the environment vocabulary (ObservationSpec, VectorEnvironment,
// FinishedEpisode, SplitMix64); importing Dungeon brings it along.
@_exported import YendorEnvironment
