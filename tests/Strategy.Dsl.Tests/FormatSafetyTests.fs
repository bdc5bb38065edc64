/// fmt never changes what a file means, and formats whatever check parses
module StrategyLab.Strategy.Dsl.Tests.FormatSafetyTests

open Xunit
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Tests.Support

let private codes (result: Result<'a, Diagnostics.Diagnostic list>) =
    match result with
    | Ok _ -> []
    | Error ds -> ds |> List.map (fun d -> d.Code) |> List.distinct

let private hashOf (text: string) =
    match Compiler.compile "test.strat" text with
    | Ok plan -> plan.ContentHash()
    | Error ds -> failwith (System.String.Join("\n", ds |> List.map brief))

[<Fact>]
let ``a number beyond double's range is an error for check and for fmt`` () =
    let text = withPortfolio "let s = close * 1e400"

    Assert.Equal<string list>([ "SL0103 (4,17) the number 1e400 is out of range" ], diagnosticsOf text)
    Assert.Equal<string list>([ "SL0103" ], codes (Compiler.format "test.strat" text))

[<Fact>]
let ``an 18-digit whole number keeps its digits and stays whole when formatted`` () =
    // a whole-numbered range makes an integer parameter; read back as a real it would become a real parameter
    let text =
        withPortfolio "param big = 123456789012345678 in 0..223456789012345678\nlet s = close * big"

    match Compiler.format "test.strat" text with
    | Ok formatted ->
        Assert.DoesNotContain("E+", formatted)
        // the nearest double to 123456789012345678 is 123456789012345680: the digits of the same number
        Assert.Contains("param big = 123456789012345680 in 0..", formatted)
        Assert.Equal(hashOf text, hashOf formatted)
    | Error ds -> failwith (System.String.Join("\n", ds |> List.map brief))

[<Fact>]
let ``whole numbers written as reals stay reals past 1e15`` () =
    let text = withPortfolio "param big = 2e20 in 1e20..3e20\nlet s = close * big"

    match Compiler.format "test.strat" text with
    | Ok formatted -> Assert.Equal(hashOf text, hashOf formatted)
    | Error ds -> failwith (System.String.Join("\n", ds |> List.map brief))

let private nested (depth: int) =
    withPortfolio ("let s = " + System.String('(', depth) + "close" + System.String(')', depth))

[<Fact>]
let ``past the nesting limit check and fmt both give SL0102`` () =
    let text = nested 6300
    Assert.Equal<string list>([ "SL0102" ], codes (Compiler.compile "test.strat" text))
    Assert.Equal<string list>([ "SL0102" ], codes (Compiler.format "test.strat" text))

[<Fact>]
let ``within the nesting limit fmt formats what check accepts`` () =
    let text = nested 500

    match Compiler.format "test.strat" text with
    | Ok formatted -> Assert.Equal(hashOf text, hashOf formatted)
    | Error ds -> failwith (System.String.Join("\n", ds |> List.map brief))

[<Fact>]
let ``brackets inside text and comments do not count as nesting`` () =
    let text =
        header
        + "# "
        + System.String('(', 600)
        + "\nlet s = close\nportfolio long top 5 by s\n"

    Assert.Empty(diagnosticsOf text)
