import Glibc
import ZeroMQ

extension Socket {
    /// Binds `endpoint`, the value of the setting `key`: an address in use, or not this host's, is
    /// that setting's error (a role of another run on the same port is the usual cause).
    func bind(_ endpoint: String, setting key: String) throws {
        do { try bind(endpoint) } catch let e as ZMQError where [EADDRINUSE, EADDRNOTAVAIL, ENODEV].contains(e.code) {
            throw ConfigurationError(field: key, problem: e.code == EADDRINUSE
                ? "\(endpoint) is in use by another process (a role of another run, or another program): stop it, or give this role another port with --set \(key)=…"
                : e.code == ENODEV ? "\(endpoint): a listening address is an IP address or an interface name (127.0.0.1, 0.0.0.0 for all), not a host name"
                : "\(endpoint): this host has no such address; bind to one of its own, or 0.0.0.0 for all", source: "bind")
        }
    }
}
