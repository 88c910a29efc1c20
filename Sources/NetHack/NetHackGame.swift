import CNetHack
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One game of NetHack, in a private copy of NLE's library.
///
/// NetHack keeps its whole state in globals, so every game loads its own copy of `libnethack.so`
/// (an anonymous in-memory file; dlopen shares one image per file) and owns a private game
/// directory (`GameDirectory`). A reset unloads and reloads
/// that copy, which is what NLE does, so a new episode starts from a clean image and leaks nothing.
/// The copy's code and constants are mapped from one image shared by every game
/// (`ynh_share_readonly_pages`): only its writable pages are its own, so many games do not each
/// bring 2.2 MB of code through the caches.
///
/// The game runs as a coroutine on its own stack inside `step`: use one game from one thread at a
/// time (a `NetHackVectorEnv` is owned by one rollout actor).
public final class NetHackGame {
    /// The map's size, as NetHack (and the host, cnethack.h) lays it out: 21 rows of 79 columns.
    public static let mapRows = Int(YNH_ROWS), mapColumns = Int(YNH_COLUMNS)

    /// Seeds of NetHack's RNGs for the next episode.
    public struct Seeds: Sendable, Equatable {
        /// The core RNG (game events) and the display RNG (hallucination and the like).
        public var core: UInt64
        public var display: UInt64
        public init(core: UInt64, display: UInt64) { self.core = core; self.display = display }
    }

    /// The 21×79 glyph map, row-major.
    public private(set) var glyphs: [Int16]
    /// NLE's 27 bottom-line statistics (`NetHackStat` names the indices).
    public private(set) var blstats: [Int]
    /// The message line, NUL-terminated.
    public private(set) var message: [UInt8]
    /// NetHack's input state: [1] a yes/no question, [2] a line of text, [3] waiting for space (--More--).
    public private(set) var internalState: [Int32]
    public private(set) var programState: [Int32]
    /// The 24×80 terminal, for rendering (`yendor play`); written only when the game was made
    /// with `terminal: true` (it costs time every step).
    public private(set) var terminalCharacters: [UInt8]
    public private(set) var terminalColors: [Int8]
    public private(set) var terminalCursor: [UInt8]
    /// The game is over (death, quit or end).
    public private(set) var isDone = false

    private let library: NetHackLibrary
    private let options: String
    private let writesTerminal: Bool
    private let directory: GameDirectory
    /// The game's HACKDIR (for tests).
    var directoryPath: String { directory.path }
    private var copyDescriptor: Int32 = -1
    private var copyPath = ""
    private var handle: UnsafeMutableRawPointer?
    private var context: UnsafeMutableRawPointer?
    private var stepFunction: ynh_step_fn?
    private var observation = ynh_observation()
    private var settings: UnsafeMutablePointer<ynh_settings>

    /// Prepares a game (loaded on the first `reset`). `options` is NetHack's option string.
    public init(library: NetHackLibrary, options: String, terminal: Bool = false) throws {
        self.library = library
        self.options = options
        writesTerminal = terminal
        glyphs = [Int16](repeating: 0, count: Self.mapRows * Self.mapColumns)
        blstats = [Int](repeating: 0, count: Int(YNH_BLSTATS))
        message = [UInt8](repeating: 0, count: Int(YNH_MESSAGE_BYTES))
        internalState = [Int32](repeating: 0, count: Int(YNH_INTERNAL))
        programState = [Int32](repeating: 0, count: Int(YNH_PROGRAM_STATE))
        terminalCharacters = [UInt8](repeating: 0, count: 24 * 80)
        terminalColors = [Int8](repeating: 0, count: 24 * 80)
        terminalCursor = [UInt8](repeating: 0, count: 2)
        directory = try GameDirectory(dataPath: library.dataPath)
        settings = .allocate(capacity: 1)
        settings.initialize(to: ynh_settings())
        // Every property is set from here on, so a throw runs deinit, which releases them.
        var path = [CChar](repeating: 0, count: 64)
        copyDescriptor = ynh_private_copy(library.libraryPath, &path, UInt(path.count))
        guard copyDescriptor >= 0 else {
            throw NetHackError.loadFailed("copying \(library.libraryPath): \(String(cString: strerror(errno)))")
        }
        copyPath = String(decoding: path.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self)
    }

    deinit {
        unload()
        if copyDescriptor >= 0 { close(copyDescriptor) }
        settings.deinitialize(count: 1)
        settings.deallocate()
    }

    /// Starts a new game with `seeds` (a fresh image of the library), writing its first observation.
    public func reset(seeds: Seeds?, fixMoonPhase: Bool = true) throws {
        ynh_signals_remember()
        unload()
        directory.clearGameLogs()
        try directory.checkFreeSpace()
        guard let h = dlopen(copyPath, RTLD_LAZY | RTLD_LOCAL) else {
            throw NetHackError.loadFailed(String(cString: dlerror()))
        }
        handle = h
        guard ynh_share_readonly_pages(h, library.libraryPath) == 0 else {
            let reason = String(cString: strerror(errno))
            unload()
            throw NetHackError.loadFailed("mapping \(library.libraryPath)'s code for this game: \(reason)")
        }
        guard let start = dlsym(h, "nle_start"), let step = dlsym(h, "nle_step"), dlsym(h, "nle_end") != nil else {
            unload()
            throw NetHackError.loadFailed("\(library.libraryPath) lacks nle_start/nle_step/nle_end")
        }
        stepFunction = unsafeBitCast(step, to: ynh_step_fn.self)
        do { try fillSettings(seeds: seeds, fixMoonPhase: fixMoonPhase) } catch { unload(); throw error }
        context = bindBuffers { obs in unsafeBitCast(start, to: ynh_start_fn.self)(obs, nil, settings) }
        isDone = observation.done != 0
        if isDone { throw NetHackError.gameOverAtStart }
    }

    /// Throws, naming the place and the space left, when the file system of this game's directory
    /// (the temporary directory) has less than `minimum` bytes free.
    func checkFreeSpace(minimum: UInt64) throws { try directory.checkFreeSpace(minimum: minimum) }

    /// Presses `key` (an ASCII key code, see `NetHackActionSet`); returns whether the game ended.
    @discardableResult
    public func step(key: Int32) -> Bool {
        guard let context, let stepFunction, !isDone else { return true }
        observation.action = key
        _ = bindBuffers { obs in stepFunction(context, obs) }
        isDone = observation.done != 0
        if isDone { ynh_signals_restore() }  // the game's end ignored SIGHUP and SIGXCPU
        return isDone
    }

    /// Replaces the message line the env shows (ONI keeps "You descend the stairs." visible).
    func showMessage(_ bytes: [UInt8]) {
        message = bytes
    }

    /// NetHack is in a running game (false before it starts and after it ends, when the
    /// statistics read zero).
    public var inNormalGame: Bool { observation.in_normal_game != 0 }

    /// The message line as text.
    public var messageText: String {
        String(decoding: message.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Ends the current game and unloads its library image.
    private func unload() {
        if let context, let handle, let end = dlsym(handle, "nle_end") {
            unsafeBitCast(end, to: ynh_end_fn.self)(context)
            ynh_signals_restore()  // ending a game that was still running ignores them too
        }
        context = nil
        stepFunction = nil
        if let handle { dlclose(handle) }
        handle = nil
    }

    /// Points the observation struct at this game's arrays for the duration of `body`.
    private func bindBuffers<R>(_ body: (UnsafeMutablePointer<ynh_observation>) -> R) -> R {
        glyphs.withUnsafeMutableBufferPointer { g in
        blstats.withUnsafeMutableBufferPointer { b in
        message.withUnsafeMutableBufferPointer { m in
        internalState.withUnsafeMutableBufferPointer { i in
        programState.withUnsafeMutableBufferPointer { p in
        terminalCharacters.withUnsafeMutableBufferPointer { tc in
        terminalColors.withUnsafeMutableBufferPointer { tk in
        terminalCursor.withUnsafeMutableBufferPointer { cur in
            observation.glyphs = g.baseAddress
            observation.blstats = b.baseAddress
            observation.message = m.baseAddress
            observation.internal = i.baseAddress
            observation.program_state = p.baseAddress
            if writesTerminal {
                observation.tty_chars = tc.baseAddress
                observation.tty_colors = tk.baseAddress
                observation.tty_cursor = cur.baseAddress
            }
            let result = withUnsafeMutablePointer(to: &observation) { body($0) }
            // The pointers are only valid inside the closures; the game holds them only during a call.
            observation.glyphs = nil; observation.blstats = nil; observation.message = nil
            observation.internal = nil; observation.program_state = nil
            observation.tty_chars = nil; observation.tty_colors = nil; observation.tty_cursor = nil
            return result
        } } } } } } } }
    }

    private func fillSettings(seeds: Seeds?, fixMoonPhase: Bool) throws {
        let filled = ynh_settings_fill(settings, directory.path, options, seeds != nil, UInt(seeds?.core ?? 0),
                                       UInt(seeds?.display ?? 0), fixMoonPhase)
        guard filled == 0 else { throw NetHackError.invalidConfiguration("NetHack options or game directory too long") }
    }
}
