@testable import AnomSynthCLI

/// `pipelines/benchmark.json` at sizes a test can afford.
let fastBenchmarkOverrides = ["--set", "gen.params.epochs=2", "--set", "gen.params.hidden_units=16", "--set", "syn.params.count=500",
                              "--set", "mlp.params.epochs=5", "--set", "mlp_none.params.epochs=5", "--set", "autoencoder.params.epochs=2",
                              "--set", "eval.params.bootstrap=20"]

/// Runs a command in this process, as `main` would (errors thrown, not turned into exits).
func runCommand(_ arguments: [String]) throws {
    var command = try AnomSynthCommand.parseAsRoot(arguments)
    try command.run()
}
