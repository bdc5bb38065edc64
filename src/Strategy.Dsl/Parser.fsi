/// The .strat parser: text to a syntax tree, with every syntax error of the file
module StrategyLab.Strategy.Dsl.Parser

open StrategyLab.Strategy.Dsl.Diagnostics
open StrategyLab.Strategy.Dsl.Syntax

/// The statement keywords, in documentation order
val statementKeywords: string list

/// Parses a whole file. Each statement starts at the beginning of a line (continuation lines are indented), so
/// a statement that cannot be read becomes Decl.Error and parsing resumes at the next statement: every syntax
/// error of the file is reported. Never throws, whatever the input.
/// Example: parse "momentum.strat" "strategy momentum\ndata daily_top100\n"
val parse: path: string -> text: string -> Program * Diagnostic list

/// Parses one expression (for tests and tools); the whole text must be the expression
val parseExpr: text: string -> Result<Expr, Diagnostic list>
