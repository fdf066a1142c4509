import TensorCore

/// A node of the autodiff graph: a tensor value and, after `backward()`, its gradient.
///
/// Operations on variables record their parents and a rule that adds the
/// node's gradient into theirs; `backward()` sorts the graph and walks it in
/// reverse. Leaves created with `requiresGradient: true` are parameters: their
/// gradients accumulate across `backward()` calls until cleared.
public final class Variable {
    /// The value computed in the forward pass.
    public internal(set) var value: Tensor
    /// The gradient of the last differentiated scalar with respect to this value, if any.
    public var gradient: Tensor?
    /// Whether a gradient flows to this node. Setting it to false on a parameter
    /// freezes it: later operations neither record it nor compute its gradient.
    public var requiresGradient: Bool

    /// The inputs of the operation that made this node (empty for leaves and after `backward()`).
    private var parents: [Variable] = []
    /// Adds this node's gradient (the argument) into the parents' gradients.
    private var rule: ((Tensor) -> Void)?

    /// Creates a leaf.
    /// - Parameters:
    ///   - value: the tensor held.
    ///   - requiresGradient: true for trainable parameters.
    public init(_ value: Tensor, requiresGradient: Bool = false) {
        self.value = value
        self.requiresGradient = requiresGradient
    }

    /// The shape of the value.
    public var shape: [Int] { value.shape }

    /// Replaces a leaf's value (optimizers, loading weights). The shape must stay.
    public func assign(_ newValue: Tensor) {
        precondition(newValue.shape == value.shape, "assign \(describe(newValue.shape)) to \(describe(value.shape))")
        value = newValue
    }

    /// Updates a leaf's value in place through its storage.
    public func update(_ body: (inout Tensor) -> Void) {
        body(&value)
    }

    /// Records the result of an operation: a node that remembers its parents and
    /// gradient rule only when some parent needs a gradient.
    static func record(_ value: Tensor, parents: [Variable], rule: @escaping (Tensor) -> Void) -> Variable {
        let needsGradient = parents.contains { $0.requiresGradient }
        let node = Variable(value, requiresGradient: needsGradient)
        if needsGradient {
            node.parents = parents
            node.rule = rule
        }
        return node
    }

    /// Adds `contribution` into this node's gradient (a no-op for constants).
    func accumulate(_ contribution: Tensor) {
        guard requiresGradient else { return }
        precondition(contribution.shape == value.shape,
                     "gradient \(describe(contribution.shape)) for a value of \(describe(value.shape))")
        if var existing = gradient {
            gradient = nil  // keep the storage uniquely referenced: add in place
            existing.add(contribution)
            gradient = existing
        } else {
            gradient = contribution
        }
    }

    /// Adds `op(a) * op(b)` into this node's gradient without a temporary.
    func accumulateProduct(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) {
        guard requiresGradient else { return }
        if var existing = gradient {
            gradient = nil
            // Shapes were checked when the forward product was recorded.
            try? existing.addMatmul(a, b, transposeA: transposeA, transposeB: transposeB)
            gradient = existing
        } else {
            gradient = try? a.matmul(b, transposeSelf: transposeA, transposeOther: transposeB)
        }
    }

    /// Whether this node was made by a recorded operation.
    public var isLeaf: Bool { rule == nil }

    /// Computes the gradient of this scalar with respect to every node it depends on.
    ///
    /// Parameter gradients accumulate into `gradient`; intermediate nodes drop
    /// their gradients and their links to parents afterwards, so no graph is
    /// retained between training steps.
    /// - Throws: `ShapeError` when this value is not a single element.
    public func backward() throws {
        guard value.count == 1 else {
            throw ShapeError("backward", "needs a scalar, got \(describe(value.shape))")
        }
        let order = topologicalOrder()
        accumulate(Tensor(repeating: 1, shape: value.shape))
        for node in order.reversed() {
            if let rule = node.rule, let gradient = node.gradient {
                rule(gradient)
            }
            if !node.isLeaf {
                node.gradient = nil
                node.rule = nil
                node.parents = []
            }
        }
    }

    /// Recorded nodes reachable from this one, every node after its parents.
    private func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(node: Variable, expanded: Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded {
                order.append(node)
                continue
            }
            guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
            stack.append((node, true))
            for parent in node.parents where parent.requiresGradient && !visited.contains(ObjectIdentifier(parent)) {
                stack.append((parent, false))
            }
        }
        return order
    }

    /// A constant copy of this value that gradients do not flow through.
    public func detached() -> Variable { Variable(value) }
}
