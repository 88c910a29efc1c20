// The environment vocabulary includes the seeded RNG environments are seeded with (SplitMix64);
// importing YendorEnvironment (or Dungeon, NetHack) brings it along.
@_exported import YendorSupport
