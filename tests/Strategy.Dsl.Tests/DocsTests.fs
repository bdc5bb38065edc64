module StrategyLab.Strategy.Dsl.Tests.DocsTests

open System.IO
open System.Text.RegularExpressions
open Xunit
open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Tests.Support

let private doc =
    File.ReadAllText(Path.Combine(repoRoot, "docs", "language.md")).Replace("\r\n", "\n")

/// The fenced blocks of the reference: (info string, body)
let private blocks =
    [
        let lines = doc.Split('\n')
        let mutable i = 0

        while i < lines.Length do
            if lines[i].StartsWith "```" && lines[i].Length > 3 then
                let info = lines[i].Substring(3).Trim()
                let body = ResizeArray<string>()
                i <- i + 1

                while i < lines.Length && not (lines[i].StartsWith "```") do
                    body.Add lines[i]
                    i <- i + 1

                yield info, System.String.Join("\n", body) + "\n"

            i <- i + 1
    ]

let private fragmentProgram (body: string) =
    let program = "strategy example\ndata daily_top100\nbar 1d\n" + body

    if Regex.IsMatch(body, "^portfolio", RegexOptions.Multiline) then
        program
    else
        program + "portfolio long top 5 by close\n"

let examples () : obj array seq =
    blocks
    |> List.mapi (fun i (info, body) -> i, info, body)
    |> List.filter (fun (_, info, _) -> info.StartsWith "strat")
    |> List.map (fun (i, info, _) -> [| $"block %d{i}: %s{info}" :> obj |])
    |> Seq.ofList

let private show (text: string) (ds: Diagnostics.Diagnostic list) =
    System.String.Join("\n", ds |> List.map (Diagnostics.render text))

[<Theory; MemberData(nameof examples)>]
let ``every example in the language reference does what it says`` (name: string) =
    let head = name.Split(':')[0]
    let index = int (head.Substring 6)
    let info, body = blocks[index]

    match info.Split(' ', System.StringSplitOptions.RemoveEmptyEntries) with
    | [| "strat" |] ->
        match Compiler.compile "example.strat" body with
        | Ok _ -> ()
        | Error ds -> failwith (show body ds)
    | [| "strat"; "fragment" |] ->
        let text = fragmentProgram body

        match Compiler.compile "example.strat" text with
        | Ok _ -> ()
        | Error ds -> failwith (show text ds)
    | [| "strat"; "error"; code |] ->
        let nextInfo, rendered = blocks[index + 1]
        Assert.Equal("text", nextInfo)

        match Compiler.compile "example.strat" body with
        | Error [ d ] ->
            Assert.Equal(code, d.Code)
            Assert.Equal(rendered.TrimEnd('\n'), Diagnostics.render body d)
        | Error ds -> failwith ("expected one diagnostic, found:\n" + show body ds)
        | Ok _ -> failwith $"expected %s{code}, but the example compiles"
    | other -> failwith $"unknown block kind %A{other}"

[<Fact>]
let ``the reference names every operator of the catalogue`` () =
    for op in OperatorCatalogue.All do
        Assert.True(Regex.IsMatch(doc, $@"\b%s{op.Name}\b"), $"docs/language.md does not mention '%s{op.Name}'")

[<Fact>]
let ``the reference lists every diagnostic code`` () =
    let source =
        File.ReadAllText(Path.Combine(repoRoot, "src", "Strategy.Dsl", "Diagnostics.fs"))

    let codes =
        Regex.Matches(source, "\"(SL\\d{4})\"")
        |> Seq.map (fun m -> m.Groups[1].Value)
        |> Seq.distinct
        |> List.ofSeq

    Assert.NotEmpty codes

    for code in codes do
        Assert.True(doc.Contains("| " + code + " |"), $"docs/language.md does not list %s{code}")
