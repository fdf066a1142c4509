import ArgumentParser
import Foundation
import PipelineEngine

/// `anomsynth schema`: the pipeline JSON Schema.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema", abstract: "Print the pipeline JSON Schema (2020-12), as in schemas/pipeline.schema.json.")

    @Flag(help: "Print the stage reference as Markdown (as in docs/stages.md) instead.")
    var markdown = false

    func run() throws { print(markdown ? PipelineSchema.markdownReference : PipelineSchema.document.pretty()) }
}
