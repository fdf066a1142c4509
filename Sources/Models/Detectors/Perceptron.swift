import NeuralNet
import TensorCore

/// Linear layers through `widths` (`[inputs, hidden..., outputs]`) with ReLU between
/// them and a linear (Xavier-initialized) last layer.
func perceptronLayers(_ widths: [Int], using rng: inout SeededRNG) -> [any Layer] {
    var layers: [any Layer] = []
    for (index, (inputs, outputs)) in zip(widths, widths.dropFirst()).enumerated() {
        let last = index == widths.count - 2
        layers.append(Linear(inputs: inputs, outputs: outputs, initialization: last ? .xavier : .he, using: &rng))
        if !last { layers.append(Activation(.relu)) }
    }
    return layers
}
