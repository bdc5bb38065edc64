/// The .strat compiler facade: text in, diagnostics or a plan out. This is what the command line calls.
module StrategyLab.Strategy.Dsl.Compiler

open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl.Diagnostics

/// The version of the .strat language this compiler accepts
val languageVersion: string

/// Compiles a file, reading included files through readFile (given the include's path joined to the including
/// file's folder; it returns the text or a one-line reason). Every diagnostic of every phase is returned.
/// Example: compileWith (fun p -> Ok(System.IO.File.ReadAllText p)) "strategies/x.strat" text
val compileWith:
    readFile: (string -> Result<string, string>) ->
    path: string ->
    text: string ->
        Result<StrategyPlan, Diagnostic list>

/// Compiles a file that includes no other file (an include is reported as unreadable)
val compile: path: string -> text: string -> Result<StrategyPlan, Diagnostic list>

/// Returns the canonical formatting of a file, or its syntax errors
val format: path: string -> text: string -> Result<string, Diagnostic list>

/// Returns a plan as a readable tree
val explain: plan: StrategyPlan -> string

/// Renders a diagnostic with the source of the file it points into: text for path, readFile for included files
val renderWith:
    readFile: (string -> Result<string, string>) -> path: string -> text: string -> diagnostic: Diagnostic -> string
