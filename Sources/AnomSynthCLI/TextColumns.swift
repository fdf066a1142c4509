extension String {
    /// The text padded with spaces to `width` characters, never cut (a longer text keeps
    /// all of it): for aligned columns of names that can be long (`mlp@model=vae,fold=3`).
    func aligned(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
