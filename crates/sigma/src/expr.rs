//! A Panoptes condition as a tree, and its text. The converter builds
//! [`Expr`]s and renders them once, so parenthesisation is decided in one
//! place: `or` inside `and`, `and` inside `or` (not needed, but it keeps
//! the Sigma rule's grouping readable) and any compound under `not` get
//! parentheses,
//! and each Sigma selection is a [`Expr::Group`], always parenthesised, so
//! the emitted condition keeps the shape of the Sigma rule.

/// A Panoptes boolean expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// One predicate, already written (`process.exe iendswith "/bash"`).
    Pred(String),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// A Sigma selection: rendered inside parentheses.
    Group(Box<Expr>),
}

impl Expr {
    /// `a and b …`, flattening nested ands; one term stays itself.
    pub fn and(terms: Vec<Expr>) -> Expr {
        Self::flatten(terms, true)
    }

    /// `a or b …`, flattening nested ors; one term stays itself.
    pub fn or(terms: Vec<Expr>) -> Expr {
        Self::flatten(terms, false)
    }

    fn flatten(terms: Vec<Expr>, is_and: bool) -> Expr {
        let mut flat = Vec::with_capacity(terms.len());
        for term in terms {
            match term {
                Expr::And(inner) if is_and => flat.extend(inner),
                Expr::Or(inner) if !is_and => flat.extend(inner),
                other => flat.push(other),
            }
        }
        match flat.len() {
            1 => flat.remove(0),
            _ if is_and => Expr::And(flat),
            _ => Expr::Or(flat),
        }
    }

    /// The condition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Expr::Pred(text) => out.push_str(text),
            Expr::Group(inner) => {
                out.push('(');
                inner.write(out);
                out.push(')');
            }
            Expr::Not(inner) => {
                out.push_str("not ");
                match inner.as_ref() {
                    Expr::And(_) | Expr::Or(_) => Self::parenthesised(inner, out),
                    _ => inner.write(out),
                }
            }
            Expr::And(terms) => {
                for (i, term) in terms.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" and ");
                    }
                    match term {
                        Expr::Or(_) => Self::parenthesised(term, out),
                        _ => term.write(out),
                    }
                }
            }
            Expr::Or(terms) => {
                for (i, term) in terms.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" or ");
                    }
                    match term {
                        Expr::And(_) => Self::parenthesised(term, out),
                        _ => term.write(out),
                    }
                }
            }
        }
    }

    fn parenthesised(expr: &Expr, out: &mut String) {
        out.push('(');
        expr.write(out);
        out.push(')');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Expr {
        Expr::Pred(text.to_string())
    }

    #[test]
    fn flattening() {
        assert_eq!(Expr::and(vec![p("a")]), p("a"));
        assert_eq!(Expr::and(vec![Expr::and(vec![p("a"), p("b")]), p("c")]), Expr::And(vec![p("a"), p("b"), p("c")]));
        assert_eq!(Expr::or(vec![p("a"), Expr::or(vec![p("b"), p("c")])]), Expr::Or(vec![p("a"), p("b"), p("c")]));
    }

    #[test]
    fn parentheses_where_precedence_needs_them() {
        let e = Expr::and(vec![p("a"), Expr::or(vec![p("b"), Expr::and(vec![p("c"), p("d")])])]);
        assert_eq!(e.render(), "a and (b or (c and d))");
        let n = Expr::Not(Box::new(Expr::or(vec![p("a"), p("b")])));
        assert_eq!(n.render(), "not (a or b)");
        assert_eq!(Expr::Not(Box::new(p("a"))).render(), "not a");
        let g = Expr::and(vec![Expr::Group(Box::new(p("a"))), Expr::Not(Box::new(Expr::Group(Box::new(p("b")))))]);
        assert_eq!(g.render(), "(a) and not (b)");
    }
}
