import Foundation

/// Self-contained SVG charts (no scripts, no fonts to fetch): lines, histograms, scatter.
public enum SVGChart {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]
    static let width = 420.0, height = 300.0
    static let margin = (left: 52.0, right: 12.0, top: 28.0, bottom: 40.0)

    /// The color of the n-th series.
    public static func color(_ index: Int) -> String { palette[index % palette.count] }

    /// Lines through each series' points (at most `maxPoints` each, evenly thinned).
    /// - Parameter diagonal: draws the chance line of a ROC chart.
    public static func lines(title: String, xLabel: String, yLabel: String, series: [Series],
                             xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                             diagonal: Bool = false, maxPoints: Int = 300) -> String {
        let all = series.flatMap(\.points)
        let xs = xRange ?? span(all.map(\.x)), ys = yRange ?? span(all.map(\.y))
        var body = frame(title: title, xLabel: xLabel, yLabel: yLabel, xs: xs, ys: ys)
        if diagonal {
            body += "<line x1=\"\(f(px(xs.lowerBound, xs)))\" y1=\"\(f(py(ys.lowerBound, ys)))\" x2=\"\(f(px(xs.upperBound, xs)))\" y2=\"\(f(py(ys.upperBound, ys)))\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>"
        }
        body += clipped(series.enumerated().map { index, line in
            let points = thin(line.points, to: maxPoints).map { "\(f(px($0.x, xs))),\(f(py($0.y, ys)))" }.joined(separator: " ")
            return "<polyline class=\"series\" fill=\"none\" stroke=\"\(color(index))\" stroke-width=\"1.8\" points=\"\(points)\"><title>\(escape(line.label))</title></polyline>"
        }.joined())
        return finish(body, series.map(\.label), marker: "line")
    }

    /// Two overlaid histograms (normal and anomalous scores) on shared bins, as densities.
    public static func histogram(title: String, normal: [Float], anomalous: [Float], bins: Int = 30) -> String {
        // The bins span the 0.5th to 99.5th percentile, so that a few extreme scores do not
        // squeeze the rest into one bin; rows beyond fall into the edge bins.
        let values = (normal + anomalous).map(Double.init).filter(\.isFinite).sorted()
        let xs = values.isEmpty ? 0...1 : span([values[Int(Double(values.count - 1) * 0.005)], values[Int(Double(values.count - 1) * 0.995)]])
        let step = (xs.upperBound - xs.lowerBound) / Double(bins)
        func density(_ data: [Float]) -> [Double] {
            var counts = [Double](repeating: 0, count: bins)
            for value in data.map(Double.init) where value.isFinite {
                counts[min(bins - 1, max(0, Int((value - xs.lowerBound) / step)))] += 1
            }
            let total = max(1, Double(data.count))
            return counts.map { $0 / total }
        }
        let sets = [("normal", density(normal)), ("anomalous", density(anomalous))]
        let ys = 0...max(0.01, sets.flatMap(\.1).max() ?? 0.01)
        var body = frame(title: title, xLabel: "score", yLabel: "share of rows", xs: xs, ys: ys)
        for (index, (_, heights)) in sets.enumerated() {
            for (bin, height) in heights.enumerated() where height > 0 {
                let x0 = px(xs.lowerBound + Double(bin) * step, xs), x1 = px(xs.lowerBound + Double(bin + 1) * step, xs)
                body += "<rect x=\"\(f(x0))\" y=\"\(f(py(height, ys)))\" width=\"\(f(max(0.5, x1 - x0)))\" height=\"\(f(py(0, ys) - py(height, ys)))\" fill=\"\(color(index == 0 ? 0 : 1))\" fill-opacity=\"0.5\"/>"
            }
        }
        return finish(body, sets.map(\.0), marker: "box")
    }

    /// Points of each set, drawn in order (later sets on top).
    /// - Parameter yRange: nil: the range of the points.
    public static func scatter(title: String, xLabel: String, yLabel: String, sets: [Series]) -> String {
        let all = sets.flatMap(\.points)
        let xs = span(all.map(\.x)), ys = span(all.map(\.y))
        var body = frame(title: title, xLabel: xLabel, yLabel: yLabel, xs: xs, ys: ys)
        // Drawn in the order given, so that the caller puts what must stay visible last.
        body += clipped(sets.enumerated().map { index, set in
            "<g fill=\"\(set.color ?? color(index))\" fill-opacity=\"0.6\"><title>\(escape(set.label))</title>"
                + set.points.map { "<circle cx=\"\(f(px($0.x, xs)))\" cy=\"\(f(py($0.y, ys)))\" r=\"2.2\"/>" }.joined() + "</g>"
        }.joined())
        return finish(body, sets.map(\.label), marker: "box", colors: sets.enumerated().map { $0.element.color ?? color($0.offset) })
    }

    // MARK: - Parts

    private static func svg(_ body: String, legendRows: Int) -> String {
        let total = height + 4 + 13 * Double(max(1, legendRows))
        // A page holds many charts: each clip path gets an id of its own, from the chart's content.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in body.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let id = "plot-" + String(hash, radix: 36)
        let plot = "<clipPath id=\"\(id)\"><rect x=\"\(f(margin.left))\" y=\"\(f(margin.top))\" width=\"\(f(width - margin.left - margin.right))\" height=\"\(f(height - margin.top - margin.bottom))\"/></clipPath>"
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(total))\" width=\"\(f(width))\" height=\"\(f(total))\" font-family=\"sans-serif\" font-size=\"11\"><defs>\(plot)</defs>\(body.replacingOccurrences(of: clipReference, with: "url(#\(id))"))</svg>"
    }

    private static let clipReference = "url(#plot)"

    /// Wraps marks so that they stay inside the plot area.
    private static func clipped(_ marks: String) -> String { "<g clip-path=\"\(clipReference)\">\(marks)</g>" }

    private static func frame(title: String, xLabel: String, yLabel: String, xs: ClosedRange<Double>, ys: ClosedRange<Double>) -> String {
        let left = margin.left, right = width - margin.right, top = margin.top, bottom = height - margin.bottom
        var body = "<text x=\"\(f(width / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(escape(title))</text>"
        body += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(right - left))\" height=\"\(f(bottom - top))\" fill=\"none\" stroke=\"#888\"/>"
        for k in 0...4 {
            let fraction = Double(k) / 4
            let xValue = xs.lowerBound + fraction * (xs.upperBound - xs.lowerBound)
            let yValue = ys.lowerBound + fraction * (ys.upperBound - ys.lowerBound)
            let x = px(xValue, xs), y = py(yValue, ys)
            body += "<line x1=\"\(f(x))\" y1=\"\(f(bottom))\" x2=\"\(f(x))\" y2=\"\(f(bottom + 4))\" stroke=\"#888\"/>"
            body += "<text x=\"\(f(x))\" y=\"\(f(bottom + 15))\" text-anchor=\"middle\">\(tick(xValue))</text>"
            body += "<line x1=\"\(f(left - 4))\" y1=\"\(f(y))\" x2=\"\(f(left))\" y2=\"\(f(y))\" stroke=\"#888\"/>"
            body += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(tick(yValue))</text>"
        }
        body += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        body += "<text transform=\"translate(12 \(f((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>"
        return body
    }

    /// The legend's marks and the number of rows it takes.
    private static func legend(_ labels: [String], marker: String, colors: [String]) -> (body: String, rows: Int) {
        var body = "", x = margin.left, y = height + 8, rows = 1
        for (index, label) in labels.enumerated() {
            let shown = label.count > 28 ? String(label.prefix(27)) + "…" : label
            let item = 16 + Double(shown.count) * 6.2 + 10
            if x + item > width, x > margin.left { x = margin.left; y += 13; rows += 1 }
            body += marker == "line"
                ? "<line x1=\"\(f(x))\" y1=\"\(f(y - 4))\" x2=\"\(f(x + 12))\" y2=\"\(f(y - 4))\" stroke=\"\(colors[index])\" stroke-width=\"2.5\"/>"
                : "<rect x=\"\(f(x + 2))\" y=\"\(f(y - 9))\" width=\"9\" height=\"9\" fill=\"\(colors[index])\"/>"
            body += "<text x=\"\(f(x + 16))\" y=\"\(f(y))\">\(escape(shown))</text>"
            x += item
        }
        return (body, rows)
    }

    private static func finish(_ body: String, _ labels: [String], marker: String, colors: [String]? = nil) -> String {
        let (marks, rows) = legend(labels, marker: marker, colors: colors ?? labels.indices.map(color))
        return svg(body + marks, legendRows: rows)
    }

    private static func px(_ x: Double, _ xs: ClosedRange<Double>) -> Double {
        margin.left + (x - xs.lowerBound) / (xs.upperBound - xs.lowerBound) * (width - margin.left - margin.right)
    }

    private static func py(_ y: Double, _ ys: ClosedRange<Double>) -> Double {
        height - margin.bottom - (y - ys.lowerBound) / (ys.upperBound - ys.lowerBound) * (height - margin.top - margin.bottom)
    }

    /// The range of finite values, padded 4%, never empty.
    public static func span(_ values: [Double]) -> ClosedRange<Double> {
        let finite = values.filter(\.isFinite)
        guard var low = finite.min(), var high = finite.max() else { return 0...1 }
        if high - low < 1e-12 { low -= 0.5; high += 0.5 }
        let pad = (high - low) * 0.04
        return (low - pad)...(high + pad)
    }

    private static func thin(_ points: [Point], to count: Int) -> [Point] {
        guard points.count > count, count >= 2 else { return points }
        let step = Double(points.count - 1) / Double(count - 1)
        return (0..<count).map { points[Int((Double($0) * step).rounded())] }
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value.isFinite ? value : 0) }

    private static func tick(_ value: Double) -> String {
        abs(value) >= 1000 || (abs(value) < 0.01 && value != 0) ? String(format: "%.1e", value) : String(format: "%.2f", value)
    }

    /// Escapes text for XML/HTML.
    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
