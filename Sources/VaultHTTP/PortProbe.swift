#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Tells "the port is taken" apart from other reasons a listen failed, by trying the bind the
/// server just failed: NIO's error type is not part of this target's dependencies, errno is.
enum PortProbe {
    /// Whether binding `host:port` (with `SO_REUSEADDR`, as the server binds) fails with `EADDRINUSE`.
    static func isInUse(host: String, port: Int) -> Bool {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return false }
        defer { freeaddrinfo(list) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                var yes: Int32 = 1
                _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
                let result = bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
                let failure = errno
                close(fd)
                if result != 0, failure == EADDRINUSE { return true }
            }
            candidate = info.pointee.ai_next
        }
        return false
    }
}
