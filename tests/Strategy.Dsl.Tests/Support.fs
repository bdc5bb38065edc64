/// Helpers shared by the test files: the repository layout, compiling, and rendering diagnostics
module StrategyLab.Strategy.Dsl.Tests.Support

open System.IO
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Diagnostics

/// The checkout this assembly was built from
let repoRoot = StrategyLab.Tests.Checkout.root

/// Reads included files from disk under the include rules, as the command line does
let readFile (request: Includes.IncludeRequest) = Includes.DiskReader().Read request

/// The text of a file, to render diagnostics in included files
let sourceOf (path: string) =
    if File.Exists path then
        Some(File.ReadAllText path)
    else
        None

/// One diagnostic as "code (line,col) message"
let brief (d: Diagnostic) =
    $"%s{d.Code} (%d{d.Range.Start.Line},%d{d.Range.Start.Column}) %s{d.Message}"

/// Compiles text as file "test.strat" and returns the brief form of each diagnostic (empty when it compiles)
let diagnosticsOf (text: string) =
    match Compiler.compile "test.strat" text with
    | Ok _ -> []
    | Error ds -> ds |> List.map brief

/// Compiles text as file "test.strat", failing the test with rendered diagnostics when it does not compile
let compileOk (text: string) =
    match Compiler.compile "test.strat" text with
    | Ok plan -> plan
    | Error ds -> failwith (System.String.Join("\n", ds |> List.map (render text)))

/// A minimal valid strategy header and portfolio; tests add the statements they are about
let header = "strategy t \"test\"\ndata daily_top100\nbar 1d\n"

/// A header plus a portfolio over the given signal expression
let withPortfolio (body: string) =
    header + body + "\nportfolio long top 5 by s, short bottom 5 by s\n"
