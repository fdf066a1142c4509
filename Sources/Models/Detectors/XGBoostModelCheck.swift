import Foundation
import NeuralNet

/// Checks an XGBoost JSON model read from a detector file before libxgboost parses it.
/// XGBoost trusts its model files: an out-of-range child or split index, a child that points
/// back up the tree, a tree count that disagrees with the trees, or categorical splits with
/// out-of-range categories crash or hang it. So every field XGBoost indexes with is checked
/// here against the detector's width, in the shape XGBoost 1.7 writes (`binary:logistic`
/// gradient-boosted trees, numerical splits only: what the `xgboost` detector trains).
public enum XGBoostModelCheck {
    /// The most trees accepted (the detector's `trees` parameter allows at most 10,000 rounds).
    static let maximumTrees = 100_000

    /// - Parameters:
    ///   - json: the model text (the detector file's `xgboost_model` entry).
    ///   - columns: the detector's model-space width.
    /// - Throws: `ModelError` naming the JSON path and what was expected.
    public static func check(_ json: String, columns: Int) throws {
        func fail(_ path: String, _ message: String) -> ModelError { ModelError("metadata xgboost_model: \(path): \(message)") }
        guard !JSONNesting.exceeds(json.utf8) else { throw fail("$", "nests deeper than \(JSONNesting.limit) levels") }
        guard let document = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else {
            throw fail("$", "not a JSON object")
        }
        guard let learner = document["learner"] as? [String: Any] else { throw fail("$.learner", "missing") }
        guard let parameters = learner["learner_model_param"] as? [String: Any] else { throw fail("$.learner.learner_model_param", "missing") }
        guard integer(parameters["num_feature"]) == columns else {
            throw fail("$.learner.learner_model_param.num_feature", "expected \(columns) (the detector's columns), got \(String(describing: parameters["num_feature"] ?? "nothing"))")
        }
        guard integer(parameters["num_class"]) == 0, integer(parameters["num_target"] ?? "1") == 1 else {
            throw fail("$.learner.learner_model_param", "expected one target (num_class 0, num_target 1)")
        }
        guard let base = number(parameters["base_score"]), base.isFinite else {
            throw fail("$.learner.learner_model_param.base_score", "expected a finite number")
        }
        guard ((learner["objective"] as? [String: Any])?["name"] as? String) == "binary:logistic" else {
            throw fail("$.learner.objective.name", "expected binary:logistic (the detector's scores are probabilities)")
        }
        guard let booster = learner["gradient_booster"] as? [String: Any], booster["name"] as? String == "gbtree",
              let model = booster["model"] as? [String: Any] else {
            throw fail("$.learner.gradient_booster", "expected a gbtree booster with a model")
        }
        let at = "$.learner.gradient_booster.model"
        guard let trees = model["trees"] as? [Any], trees.count <= maximumTrees else {
            throw fail("\(at).trees", "expected an array of at most \(maximumTrees) trees")
        }
        let counts = model["gbtree_model_param"] as? [String: Any]
        guard integer(counts?["num_trees"]) == trees.count, integer(counts?["num_parallel_tree"] ?? "1") == 1 else {
            throw fail("\(at).gbtree_model_param", "num_trees must equal the \(trees.count) trees, num_parallel_tree 1")
        }
        guard let info = model["tree_info"] as? [Any], info.count == trees.count, info.allSatisfy({ integer($0) == 0 }) else {
            throw fail("\(at).tree_info", "expected one 0 per tree (\(trees.count))")
        }
        for (index, tree) in trees.enumerated() {
            try checkTree(tree, index: index, columns: columns, at: "\(at).trees[\(index)]", fail: fail)
        }
    }

    /// One tree: parallel arrays of one length, children inside the tree forming a tree from
    /// node 0 (every reachable node reached once: no cycle, no shared child), split features
    /// below the width, numerical splits only, finite values.
    private static func checkTree(_ value: Any, index: Int, columns: Int, at path: String,
                                  fail: (String, String) -> ModelError) throws {
        guard let tree = value as? [String: Any] else { throw fail(path, "expected a tree object") }
        guard integer(tree["id"]) == index else { throw fail("\(path).id", "expected \(index)") }
        guard let nodes = integer((tree["tree_param"] as? [String: Any])?["num_nodes"]), nodes >= 1 else {
            throw fail("\(path).tree_param.num_nodes", "expected a positive node count")
        }
        guard integer((tree["tree_param"] as? [String: Any])?["num_feature"]) == columns else {
            throw fail("\(path).tree_param.num_feature", "expected \(columns)")
        }
        func integers(_ name: String) throws -> [Int] {
            guard let items = tree[name] as? [Any], items.count == nodes else { throw fail("\(path).\(name)", "expected \(nodes) integers") }
            return try items.map { guard let value = integer($0) else { throw fail("\(path).\(name)", "expected integers") }; return value }
        }
        func numbers(_ name: String) throws {
            guard let items = tree[name] as? [Any], items.count == nodes,
                  items.allSatisfy({ number($0)?.isFinite ?? false }) else { throw fail("\(path).\(name)", "expected \(nodes) finite numbers") }
        }
        let left = try integers("left_children"), right = try integers("right_children"), features = try integers("split_indices")
        _ = try integers("parents")
        guard try integers("default_left").allSatisfy({ $0 == 0 || $0 == 1 }) else { throw fail("\(path).default_left", "expected 0 or 1 per node") }
        for name in ["split_conditions", "base_weights", "loss_changes", "sum_hessian"] { try numbers(name) }
        if tree["split_type"] != nil {
            guard try integers("split_type").allSatisfy({ $0 == 0 }) else {
                throw fail("\(path).split_type", "categorical splits are not used by the detector; expected 0 per node")
            }
        }
        for name in ["categories", "categories_nodes", "categories_segments", "categories_sizes"] {
            guard (tree[name] as? [Any])?.isEmpty ?? (tree[name] == nil) else { throw fail("\(path).\(name)", "expected an empty array") }
        }
        for node in 0..<nodes {
            let isLeaf = left[node] == -1
            guard isLeaf == (right[node] == -1) else { throw fail("\(path)", "node \(node) has one child; expected none or two") }
            if isLeaf { continue }
            guard (0..<nodes).contains(left[node]), (0..<nodes).contains(right[node]) else {
                throw fail("\(path)", "node \(node)'s children \(left[node]), \(right[node]) lie outside its \(nodes) nodes")
            }
            guard (0..<columns).contains(features[node]) else {
                throw fail("\(path).split_indices[\(node)]", "feature \(features[node]) is outside the detector's \(columns) columns")
            }
        }
        var reached = [Bool](repeating: false, count: nodes)
        var stack = [0]
        while let node = stack.popLast() {
            guard !reached[node] else { throw fail("\(path)", "node \(node) is reached twice from the root: not a tree") }
            reached[node] = true
            if left[node] != -1 { stack += [left[node], right[node]] }
        }
    }

    /// An integer given as a JSON number or as text (XGBoost writes its parameters as text).
    private static func integer(_ value: Any?) -> Int? {
        if let text = value as? String { return Int(text) }
        guard let number = value as? NSNumber, let exact = Int(exactly: number.doubleValue) else { return nil }
        return exact
    }

    /// A number given as a JSON number or as text.
    private static func number(_ value: Any?) -> Double? {
        if let text = value as? String { return Double(text) }
        return (value as? NSNumber)?.doubleValue
    }
}
