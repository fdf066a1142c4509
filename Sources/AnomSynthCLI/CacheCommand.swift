import ArgumentParser
import Foundation
import PipelineEngine

/// `anomsynth cache ls | gc | verify`.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "List, clean up or verify the stage cache.",
        subcommands: [List.self, Collect.self, Verify.self])

    struct Location: ParsableArguments {
        @Option(help: "The stage cache (default: $ANOMSYNTH_CACHE or .anomsynth/cache).")
        var cacheDir: String?

        var cache: StageCache {
            StageCache(root: URL(fileURLWithPath: cacheDir ?? ProcessInfo.processInfo.environment["ANOMSYNTH_CACHE"] ?? ".anomsynth/cache"))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "One line per cache entry: key, stage, type, size.")
        @OptionGroup var location: Location

        func run() throws {
            let cache = location.cache
            let entries = cache.keys().map { key in
                (key, try? JSONDecoder().decode(StageCache.Record.self, from: Data(contentsOf: cache.entry(key).appendingPathComponent("record.json"))))
            }
            let width = entries.map { ($0.1?.stageID ?? "?").count }.max() ?? 0
            for (key, record) in entries {
                let bytes = record?.files.values.reduce(0) { $0 + $1.bytes } ?? 0
                print("\(key.prefix(12))  \((record?.stageID ?? "?").aligned(to: width)) \((record?.stageType ?? "?").aligned(to: 16)) \(bytes) bytes")
            }
        }
    }

    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc", abstract: "Remove leftovers of interrupted runs, corrupt entries, and entries no run in --out uses (with --unused).")
        @OptionGroup var location: Location

        @Option(help: "The runs folder whose latest runs keep their entries.")
        var out: String = "runs"

        @Flag(help: "Also remove entries that no pipeline's latest run in --out used.")
        var unused = false

        func run() throws {
            let cache = location.cache
            let manager = FileManager.default
            var removed = 0
            for name in ["tmp", "locks"] {
                let folder = cache.root.appendingPathComponent(name)
                for item in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? [] {
                    try? manager.removeItem(at: folder.appendingPathComponent(item))
                    if name == "tmp" { removed += 1 }
                }
            }
            let kept = unused ? keysInUse() : nil
            for key in cache.keys() where cache.verify(key) != nil || (kept.map { !$0.contains(key) } ?? false) {
                try manager.removeItem(at: cache.entry(key))
                removed += 1
            }
            print("removed \(removed) item(s); \(cache.keys().count) entries remain")
        }

        private func keysInUse() -> Set<String> {
            let root = URL(fileURLWithPath: out)
            var keys = Set<String>()
            for pipeline in (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [] {
                let file = root.appendingPathComponent("\(pipeline)/.last-run.json")
                if let data = FileManager.default.contents(atPath: file.path),
                   let entries = try? JSONDecoder().decode([String: [String: String]].self, from: data) {
                    keys.formUnion(entries.values.compactMap { $0["key"] })
                }
            }
            return keys
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check every entry's checksums; exit 1 if any is corrupt.")
        @OptionGroup var location: Location

        func run() throws {
            let cache = location.cache
            let problems = cache.keys().compactMap { cache.verify($0) }
            for problem in problems { FileHandle.standardError.write(Data("corrupt: \(problem)\n".utf8)) }
            print("\(cache.keys().count) entries, \(problems.count) corrupt")
            if !problems.isEmpty { throw ExitCode(1) }
        }
    }
}
