#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fresh memory made ready to be written.
public enum Prefault {
    /// Maps the pages of `buffer` (a fresh allocation) before it is filled, on up to
    /// `threads` cores at once, so that its page faults are not taken one by one later by
    /// the thread that fills it. In one system call per part where Linux offers it
    /// (MADV_POPULATE_WRITE, 5.14+), else by writing zeros.
    public static func pages(of buffer: UnsafeMutableRawBufferPointer, threads: Int) {
        guard let base = buffer.baseAddress else { return }
        let parts = max(1, min(threads, buffer.count >> 22))
        let chunk = (buffer.count + parts - 1) / parts
        Parallelism.run(parts: parts) { part in
            let start = part * chunk, end = min(buffer.count, start + chunk)
            if start < end { populate(base + start, end - start) }
        }
    }

    private static func populate(_ start: UnsafeMutableRawPointer, _ bytes: Int) {
        #if os(Linux)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) & ~(page - 1), last = (Int(bitPattern: start) + bytes) & ~(page - 1)
        // 23 is MADV_POPULATE_WRITE; spelled out for C libraries older than the kernel.
        if last > first, madvise(UnsafeMutableRawPointer(bitPattern: first), last - first, 23) == 0 { return }
        #endif
        memset(start, 0, bytes)
    }
}
