import Foundation

extension StageJob {
    /// Checks every field of a job before anything is read or written on its behalf. A job
    /// file may sit on a shared file system, so it is trusted no more than a pipeline file:
    /// - `key` has the key form (64 lowercase hexadecimal digits) and is the SHA-256 of the
    ///   key material recomputed from the job's own type, version, parameters, seed, input
    ///   digests and the files it reads, which must also equal `key_material`;
    /// - the parameters pass the checks `validate` applies, and are complete;
    /// - `cache_root` is an AnomSynth cache (it holds `CACHEDIR.TAG`), and every input is a
    ///   file of one of its entries;
    /// - names are plain (no path separators or control characters).
    /// So a job can only ever fill the entry its content hashes to, inside a cache.
    /// - Parameter source: the job file's path, named in every error.
    /// - Throws: `StageError` naming the file and the field, or `PipelineInvalid` for parameters.
    func check(source: String) throws {
        func fail(_ field: String, _ message: String) -> StageError { StageError("\(source): \(field): \(message)") }
        guard CacheKey.isWellFormed(key) else {
            throw fail("key", "expected 64 lowercase hexadecimal digits (a SHA-256), got \(quoted(key))")
        }
        guard Self.isPlainName(stageID) else { throw fail("stage_id", "expected a stage id, got \(quoted(stageID))") }
        guard Self.isPlainName(pipelineName) else { throw fail("pipeline_name", "expected a pipeline name, got \(quoted(pipelineName))") }
        guard UInt64(seed) != nil else { throw fail("seed", "expected a 64-bit unsigned integer as text, got \(quoted(seed))") }
        guard pipelineDirectory.hasPrefix("/"), !pipelineDirectory.contains("\0") else {
            throw fail("pipeline_directory", "expected an absolute path, got \(quoted(pipelineDirectory))")
        }
        guard cacheRoot.hasPrefix("/"), !cacheRoot.contains("\0") else {
            throw fail("cache_root", "expected an absolute path, got \(quoted(cacheRoot))")
        }
        let cache = StageCache(root: URL(fileURLWithPath: cacheRoot))
        guard cache.isTagged else {
            throw fail("cache_root", "\(cacheRoot) is not an AnomSynth cache (it has no \(StageCache.tagFile)); jobs only fill caches that runs made")
        }
        let implementation: any StageImplementation.Type
        do { implementation = try self.implementation() } catch { throw fail("type", "\(error)") }
        try checkInputs(cache: cache, implementation: implementation, fail: fail)
        let parameters: JSONValue
        do { parameters = try JSONParser.parse(Array(params.utf8), source: "\(source): params").value } catch {
            throw fail("params", "not JSON: \(error)")
        }
        var validator = Validator(file: source, positions: [:], directory: URL(fileURLWithPath: pipelineDirectory))
        let filled = validator.checkParameters(parameters, specs: implementation.parameters, at: "$.params")
        guard validator.issues.isEmpty else { throw PipelineInvalid(issues: validator.sortedIssues) }
        guard filled.canonical == parameters.canonical else {
            throw fail("params", "incomplete: a job holds every parameter, defaults filled in (expected \(filled.canonical))")
        }
        let parts = CacheKey.Parts(implementation: implementation, params: parameters, seed: UInt64(seed)!,
                                   inputDigests: inputs.mapValues { $0.map(\.sha256) },
                                   inputOrigins: inputs.mapValues { $0.map { "\($0.stage).\($0.output)" } },
                                   pipelineName: pipelineName, pipelineDirectory: URL(fileURLWithPath: pipelineDirectory),
                                   archiveCompression: archiveCompression ?? .zstd)
        let material: String
        do { material = try CacheKey.material(parts) } catch { throw fail("params", "\(error)") }
        guard material == keyMaterial else {
            throw fail("key_material", "does not describe this job (recomputed from its type, parameters, seed and inputs: \(material))")
        }
        guard CacheKey.key(material) == key else {
            throw fail("key", "\(key) is not the key of this job's content (\(CacheKey.key(material)))")
        }
    }

    /// Every input is a file of an entry of `cache`, with a digest of the right form, under a
    /// name the stage type reads.
    private func checkInputs(cache: StageCache, implementation: any StageImplementation.Type,
                             fail: (String, String) -> StageError) throws {
        let entries = cache.root.appendingPathComponent("entries").standardizedFileURL.path + "/"
        let names = Set(implementation.inputs.map(\.name))
        for (name, files) in inputs.sorted(by: { $0.key < $1.key }) {
            guard names.contains(name) else {
                throw fail("inputs.\(name)", "\(type) has no input '\(name)'; its inputs are \(names.sorted().joined(separator: ", "))")
            }
            for (index, input) in files.enumerated() {
                let field = "inputs.\(name)[\(index)]"
                let path = URL(fileURLWithPath: input.path).standardizedFileURL.path
                let parts = path.hasPrefix(entries) ? path.dropFirst(entries.count).split(separator: "/", omittingEmptySubsequences: false) : []
                guard parts.count == 2, CacheKey.isWellFormed(String(parts[0])), !parts[1].isEmpty, !input.path.contains("\0") else {
                    throw fail("\(field).path", "expected a file of an entry of the cache \(cache.root.path), got \(quoted(input.path))")
                }
                guard CacheKey.isWellFormed(input.sha256) else {
                    throw fail("\(field).sha256", "expected 64 lowercase hexadecimal digits, got \(quoted(input.sha256))")
                }
                guard Self.isPlainName(input.stage), Self.isPlainName(input.output) else {
                    throw fail("\(field)", "expected a stage id and an output name, got \(quoted(input.stage)).\(quoted(input.output))")
                }
                guard input.assignments.allSatisfy({ $0.count == 2 }) else {
                    throw fail("\(field).assignments", "expected [key, value] pairs")
                }
            }
        }
    }

    /// A stage id, output or pipeline name: 1 to 256 characters, none a path separator or a
    /// control character, and not `.` or `..`.
    static func isPlainName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 256 && text != "." && text != ".."
            && text.unicodeScalars.allSatisfy { $0 != "/" && $0 != "\\" && !CharacterSet.controlCharacters.contains($0) }
    }

    private func quoted(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { CharacterSet.controlCharacters.contains($0) ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined() + "\""
    }
}
