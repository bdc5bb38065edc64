/// The .strat compiler facade: text in, diagnostics or a plan out. This is what the command line calls.
module StrategyLab.Strategy.Dsl.Compiler

open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl.Diagnostics
open StrategyLab.Strategy.Dsl.Includes

/// The version of the .strat language this compiler accepts
val languageVersion: string

/// The deepest chain of includes followed
val maxIncludeDepth: int

/// The most include statements followed in one strategy
val maxIncludes: int

/// Compiles a file, reading included files through readInclude: each include's path is first checked by the
/// include rules (Includes.resolve) and refused with a diagnostic at the include, never read, when it breaks
/// them. Every diagnostic of every phase is returned.
/// Example: compileWith (Includes.DiskReader().Read) "strategies/x.strat" text
val compileWith: readInclude: IncludeReader -> path: string -> text: string -> Result<StrategyPlan, Diagnostic list>

/// As compileWith, and once the strategy checks, checks it against its data folder: the dataset exists, gives
/// the strategy's bar, and has every column and symbol the strategy reads (SL07xx)
val compileAgainst:
    readInclude: IncludeReader ->
    data: DataCheck.DataFolder ->
    path: string ->
    text: string ->
        Result<StrategyPlan, Diagnostic list>

/// Compiles a file that includes no other file (an include is reported as unreadable)
val compile: path: string -> text: string -> Result<StrategyPlan, Diagnostic list>

/// Returns the canonical formatting of a file, or its syntax errors. The result is parsed again and must give
/// the same tree (SL0104 otherwise), so formatting never changes what a file means.
val format: path: string -> text: string -> Result<string, Diagnostic list>

/// As format, and when the file compiles, the formatted text must compile to a plan with the same content hash
val formatWith: readInclude: IncludeReader -> path: string -> text: string -> Result<string, Diagnostic list>

/// Returns a plan as a readable tree
val explain: plan: StrategyPlan -> string

/// Renders a diagnostic with the source of the file it points into: text for path, source for included files
/// (a file without source is rendered without its line)
val renderWith: source: (string -> string option) -> path: string -> text: string -> diagnostic: Diagnostic -> string
