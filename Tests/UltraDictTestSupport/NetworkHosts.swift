import Foundation

/// Hosts of one test's own, as network namespaces (`ip netns`, as root): a server namespace with
/// a veth link to each host namespace, so that processes on different "hosts" reach a server
/// (``RedisServer`` with `namespace:`) over links that a test can take down and bring back.
///
/// The names are random (`udr-NUMBER` for the server, `ud<label>-NUMBER` for the hosts), and so
/// is the private subnet, `10.X.Y.0/24`: host `k` gets `10.X.Y.(4k + 2)/30`, the server's end of
/// its link `10.X.Y.(4k + 1)`. Nothing is added to the namespace the test runs in, so nothing
/// outside these namespaces can be reached or disturbed. ``remove()`` (or `deinit`) kills every
/// process left in them and deletes them, which deletes their links.
package final class NetworkHosts {
    /// Why a namespace or a link could not be made or changed: the failed command and what it said.
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    /// One host: a namespace with a link to the server's namespace.
    package struct Host: Sendable {
        /// What the test calls it ("a").
        package let label: String
        /// Its namespace's name.
        package let namespace: String
        /// Its address on its link.
        package let address: String
        /// The server namespace's address on this host's link: where this host reaches the server.
        package let serverAddress: String
        /// The name of its end of the link, inside its namespace.
        package let device: String
    }

    /// Whether this process may make namespaces: it runs as root, and `ip` is installed.
    package static var isAvailable: Bool { geteuid() == 0 && (try? ipPath()) != nil }

    /// The server's namespace.
    package let serverNamespace: String
    /// The hosts, in the order of their labels.
    package let hosts: [Host]
    private var removed = false

    /// Makes the server's namespace and one host namespace per label (at most 63), each with a
    /// veth link to the server's, `lo` and the links up. Throws ``Failure`` when `ip` fails (not
    /// root, or no `ip`: `bash .ci/install-deps` installs iproute2), having removed what it made.
    package init(hosts labels: [String] = ["a", "b"]) throws {
        precondition(!labels.isEmpty && labels.count <= 63 && Set(labels).count == labels.count, "one to 63 distinct host labels")
        let suffix = String(UInt32.random(in: 0..<(1 << 24)), radix: 16)
        let subnet = "10.\(Int.random(in: 1...254)).\(Int.random(in: 0...255))"
        serverNamespace = "udr-\(suffix)"
        hosts = labels.enumerated().map { index, label in
            Host(label: label, namespace: "ud\(label)-\(suffix)", address: "\(subnet).\(4 * index + 2)",
                 serverAddress: "\(subnet).\(4 * index + 1)", device: "veth-server")
        }
        do {
            try Self.ip("netns", "add", serverNamespace)
            try Self.ip("-n", serverNamespace, "link", "set", "lo", "up")
            for host in hosts {
                let serverDevice = serverDevice(of: host)
                precondition(serverDevice.utf8.count <= 15 && host.device.utf8.count <= 15, "interface names have at most 15 bytes")
                try Self.ip("netns", "add", host.namespace)
                try Self.ip("-n", host.namespace, "link", "set", "lo", "up")
                try Self.ip("-n", serverNamespace, "link", "add", serverDevice, "type", "veth", "peer", "name", host.device, "netns", host.namespace)
                try Self.ip("-n", serverNamespace, "address", "add", host.serverAddress + "/30", "dev", serverDevice)
                try Self.ip("-n", host.namespace, "address", "add", host.address + "/30", "dev", host.device)
                try Self.ip("-n", serverNamespace, "link", "set", serverDevice, "up")
                try Self.ip("-n", host.namespace, "link", "set", host.device, "up")
            }
        } catch {
            remove()
            throw error
        }
    }

    deinit { remove() }

    /// The host labelled `label`.
    package subscript(_ label: String) -> Host {
        guard let host = hosts.first(where: { $0.label == label }) else { preconditionFailure("no host \(label)") }
        return host
    }

    /// What runs a command inside `namespace`: `[PATH-OF-IP, "netns", "exec", namespace]`, to
    /// put before the command's path and arguments. `ip netns exec` replaces itself with the
    /// command (no fork), so the process started is the command's.
    package static func prefix(in namespace: String) throws -> [String] {
        [try ipPath(), "netns", "exec", namespace]
    }

    /// Takes `host`'s end of its link down, or brings it up (`ip link set DEVICE down|up` inside
    /// its namespace): while it is down, the host reaches nothing but itself.
    package func setLink(of host: Host, up: Bool) throws {
        try Self.ip("-n", host.namespace, "link", "set", host.device, up ? "up" : "down")
    }

    /// Kills every process still in the namespaces (SIGKILL) and deletes them, with their links;
    /// once. Errors are ignored: what cannot be deleted was not made.
    package func remove() {
        guard !removed else { return }
        removed = true
        for namespace in hosts.map(\.namespace) + [serverNamespace] {
            // `ip netns pids` lists the processes in the namespace: only those a test started there.
            let pids = (try? Self.ip("netns", "pids", namespace)) ?? ""
            for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            _ = try? Self.ip("netns", "delete", namespace)
        }
    }

    /// The server namespace's end of `host`'s link.
    private func serverDevice(of host: Host) -> String { "veth-" + host.label.prefix(10) }

    /// Runs `ip ARGUMENTS` and returns its output; throws ``Failure`` with its error output when
    /// it fails.
    @discardableResult
    private static func ip(_ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ipPath())
        process.arguments = arguments
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "ip \(arguments.joined(separator: " ")) exited with status \(process.terminationStatus): \(String(decoding: complaint, as: UTF8.self))")
        }
        return String(decoding: printed, as: UTF8.self)
    }

    /// The path of `ip`: the first on `PATH`, else in /usr/sbin or /sbin.
    private static func ipPath() throws -> String {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        guard let path = directories.map({ $0 + "/ip" }).first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw Failure(description: "ip not found on PATH nor in /usr/sbin or /sbin: run `bash .ci/install-deps` (iproute2)")
        }
        return path
    }
}
