// A program that adds its own Swift environment to Yendor: register it, then run Yendor's command
// line, so every command takes `--env swift:corridor`:
//
//     swift run yendor-corridor train --env swift:corridor --steps 300000
//     swift run yendor-corridor train --env swift:corridor --workers 2    # worker processes are this program too
//
// docs/environments.md, "A third environment, in Swift".
import Foundation
import YendorCommandLine
import YendorEnvironment

do {
    try EnvironmentRegistry.register(SwiftEnvironment(name: "corridor", spec: Corridor.spec,
                                                      goal: .custom("reach the exit in the east wall")) { count, seed in
        Corridor(count: count, seed: seed)
    })
} catch {
    FileHandle.standardError.write(Data("yendor-corridor: cannot register: \(error)\n".utf8))
    exit(1)
}
await Yendor.runCommandLine()
