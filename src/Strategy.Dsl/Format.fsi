/// The canonical formatter: one layout for every program, comments kept
module StrategyLab.Strategy.Dsl.Format

open StrategyLab.Strategy.Dsl.Syntax

/// Returns the canonical text of a program without syntax errors: one statement a line (a model's learn and train
/// clauses on indented lines), single spaces, the fewest parentheses, full-line comments above their statement,
/// comments from inside a statement joined at the end of its first line, and blank lines between statements kept
/// (at most one). Parsing the result gives the same tree.
val format: program: Program -> string

/// Returns the canonical text of one statement (without comments)
val decl: decl: Decl -> string
