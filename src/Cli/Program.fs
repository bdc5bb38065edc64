module StrategyLab.Cli.Program

[<EntryPoint>]
let main _ = 0
