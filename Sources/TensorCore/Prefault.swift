import Dispatch
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
            guard start < end else { return }
            if let (first, bytes) = wholePages(base + start, end - start), populate(first, bytes) { return }
            memset(base + start, 0, end - start)
        }
    }

    /// Starts mapping the pages of `buffer` on a background thread and returns at once. The
    /// mapping neither reads nor changes the memory, so its owner may fill it (or free it)
    /// meanwhile; where the kernel cannot map pages ahead (before Linux 5.14, or not Linux)
    /// it does nothing and the pages fault in as they are first written.
    public static func pagesInBackground(of buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, let (first, bytes) = wholePages(base, buffer.count) else { return }
        DispatchQueue.global().async { _ = populate(first, bytes) }
    }

    /// The address and length of the whole pages inside `bytes` bytes from `start`.
    private static func wholePages(_ start: UnsafeMutableRawPointer, _ bytes: Int) -> (address: Int, bytes: Int)? {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) & ~(page - 1), last = (Int(bitPattern: start) + bytes) & ~(page - 1)
        return last > first ? (first, last - first) : nil
    }

    /// MADV_POPULATE_WRITE on whole pages; false where the kernel does not offer it.
    private static func populate(_ address: Int, _ bytes: Int) -> Bool {
        #if os(Linux)
        // 23 is MADV_POPULATE_WRITE, spelled out for C libraries older than the kernel.
        return madvise(UnsafeMutableRawPointer(bitPattern: address), bytes, 23) == 0
        #else
        return false
        #endif
    }
}
