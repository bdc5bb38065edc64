/// The .strat compiler facade: text in, diagnostics or a plan out
module StrategyLab.Strategy.Dsl.Compiler

/// The version of the .strat language this compiler accepts
let languageVersion = "0.1"
