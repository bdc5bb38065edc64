/// include reads only .strat files beside the strategy, and never quotes a file it refuses
module StrategyLab.Strategy.Dsl.Tests.IncludeTests

open System
open System.IO
open Xunit
open FsCheck
open FsCheck.FSharp
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Tests.Support

let private secret = "SECRET_" + Guid.NewGuid().ToString "N"

/// A strategy folder with good and bad neighbours, and a secret file beside it (outside its tree)
type private Tree() =
    let top =
        Path.Combine(Path.GetTempPath(), "strategylab-include-" + Guid.NewGuid().ToString "N")

    let root = Path.Combine(top, "strategies")
    let outside = Path.Combine(top, "outside")

    let write (path: string) (text: string) =
        Directory.CreateDirectory(Path.GetDirectoryName path |> nonNull) |> ignore
        File.WriteAllText(path, text)

    do
        write (Path.Combine(outside, "secret.strat")) $"let %s{secret} = close\n"
        write (Path.Combine(outside, "secret.txt")) $"%s{secret}\n"
        write (Path.Combine(root, "shared", "ok.strat")) "let shared_value = close\n"
        write (Path.Combine(root, "shared", "broken.strat")) "let broken = \n"
        write (Path.Combine(root, "notes.txt")) "let notes = close\n"
        write (Path.Combine(root, "empty.strat")) ""
        write (Path.Combine(root, "big.strat")) ("# " + String('x', 1024 * 1024) + "\n")
        write (Path.Combine(root, "self.strat")) "include \"self.strat\"\n"
        Directory.CreateDirectory(Path.Combine(root, "folder.strat")) |> ignore

        File.CreateSymbolicLink(Path.Combine(root, "link.strat"), Path.Combine(outside, "secret.strat"))
        |> ignore

        File.CreateSymbolicLink(Path.Combine(root, "text_link.strat"), Path.Combine(root, "notes.txt"))
        |> ignore

        File.CreateSymbolicLink(Path.Combine(root, "zero.strat"), "/dev/zero") |> ignore
        Directory.CreateSymbolicLink(Path.Combine(root, "out"), outside) |> ignore

        for i in 0..19 do
            write (Path.Combine(root, $"d%d{i}.strat")) $"include \"d%d{i + 1}.strat\"\n"

        write (Path.Combine(root, "d20.strat")) "let deepest = close\n"

        for i in 0..69 do
            write (Path.Combine(root, "many", $"m%d{i}.strat")) $"let m%d{i} = close\n"

        // a pipe has no writer: opening it for reading would wait for ever
        use mkfifo =
            Diagnostics.Process.Start("mkfifo", [ Path.Combine(root, "pipe.strat") ])

        mkfifo.WaitForExit()

    member _.Root = root
    member _.Outside = outside

    /// Compiles a strategy in the tree's root that includes the given path, with the disk reader; returns the
    /// diagnostics, each rendered with the source of the file it is in
    member _.Compile(includes: string list) =
        let main = Path.Combine(root, "main.strat")

        let text =
            header
            + String.Join("", includes |> List.map (fun p -> $"include \"%s{p}\"\n"))
            + "let s = close\nportfolio long top 5 by s\n"

        let reader = Includes.DiskReader()

        match Compiler.compileWith reader.Read main text with
        | Ok _ -> []
        | Error ds -> ds |> List.map (fun d -> d, Compiler.renderWith reader.Source main text d)

    interface IDisposable with
        member _.Dispose() =
            if Directory.Exists top then
                Directory.Delete(top, true)

let private codeOf (tree: Tree) (path: string) =
    tree.Compile [ path ] |> List.map (fun (d, _) -> d.Code) |> List.distinct

[<Theory>]
[<InlineData("", "SL0513")>]
[<InlineData("  ", "SL0513")>]
[<InlineData("/dev/zero", "SL0514")>]
[<InlineData("/etc/passwd", "SL0514")>]
[<InlineData("~/x.strat", "SL0514")>]
[<InlineData("../outside/secret.strat", "SL0515")>]
[<InlineData("shared/../../outside/secret.strat", "SL0515")>]
[<InlineData("link.strat", "SL0515")>]
[<InlineData("zero.strat", "SL0515")>]
[<InlineData("out/secret.strat", "SL0515")>]
[<InlineData("notes.txt", "SL0516")>]
[<InlineData("text_link.strat", "SL0516")>]
[<InlineData("folder.strat", "SL0517")>]
[<InlineData("empty.strat", "SL0517")>]
[<InlineData("pipe.strat", "SL0517")>]
[<InlineData("big.strat", "SL0518")>]
[<InlineData("missing.strat", "SL0504")>]
[<InlineData("self.strat", "SL0505")>]
[<InlineData("d0.strat", "SL0519")>]
let ``an include the rules refuse is one diagnostic with its own code`` (path: string, code: string) =
    use tree = new Tree()
    Assert.Equal<string list>([ code ], codeOf tree path)

[<Fact>]
let ``a refused include is reported at the include, naming the path and not the file's content`` () =
    use tree = new Tree()

    for path in
        [
            "/etc/passwd"
            Path.Combine(tree.Outside, "secret.txt")
            "link.strat"
            "out/secret.strat"
        ] do
        match tree.Compile [ path ] with
        | [ d, rendered ] ->
            Assert.Equal(4, d.Range.Start.Line)
            Assert.EndsWith("main.strat", d.Range.File)
            Assert.Contains(path, d.Message)
            Assert.DoesNotContain(secret, rendered)
            Assert.DoesNotContain("root:", rendered)
        | other -> failwith $"expected one diagnostic for %s{path}, found %A{other}"

[<Fact>]
let ``includes inside the folder are read, with their own files in their diagnostics`` () =
    use tree = new Tree()
    Assert.Empty(tree.Compile [ "./shared/../shared/ok.strat" ])

    match tree.Compile [ "shared/broken.strat" ] with
    | [ d, rendered ] ->
        Assert.Equal("SL0101", d.Code)
        Assert.EndsWith("shared/broken.strat", d.Range.File)
        Assert.Contains("let broken =", rendered)
    | other -> failwith $"expected one syntax error, found %A{other}"

[<Fact>]
let ``a strategy follows at most 64 includes`` () =
    use tree = new Tree()
    let found = tree.Compile [ for i in 0..69 -> $"many/m%d{i}.strat" ]
    Assert.Equal<string list>([ "SL0519" ], found |> List.map (fun (d, _) -> d.Code) |> List.distinct)
    Assert.Equal(6, found.Length)

let private pieces =
    [
        ""
        "."
        ".."
        "/"
        "\\"
        "~"
        "//"
        "C:"
        "shared"
        "ok.strat"
        "shared/ok.strat"
        "link.strat"
        "zero.strat"
        "pipe.strat"
        "big.strat"
        "folder.strat"
        "out"
        "secret.strat"
        "secret.txt"
        "notes.txt"
        "..."
        "%2e%2e"
        "\u0000"
        "é.strat"
        ".strat"
        "self.strat"
        "d18.strat"
        "/dev/zero"
        "/etc/passwd"
    ]

let private genPath =
    gen {
        let! n = Gen.choose (1, 5)
        let! parts = Gen.listOfLength n (Gen.elements pieces)
        let! separator = Gen.elements [ "/"; "\\"; "" ]
        return String.Join(separator, parts)
    }

[<Fact>]
let ``fuzzed include paths never crash, hang or quote a file outside the tree`` () =
    use tree = new Tree()

    let secretPaths =
        [
            Path.Combine(tree.Outside, "secret.strat")
            Path.Combine(tree.Outside, "secret.txt")
        ]

    let safe (paths: string list) =
        tree.Compile paths
        |> List.forall (fun (d, rendered) ->
            not (rendered.Contains secret)
            && not (rendered.Contains "root:")
            && d.Range.File.StartsWith tree.Root)

    let genPaths =
        Gen.frequency [ 9, genPath; 1, Gen.elements secretPaths ] |> Gen.listOfLength 2

    Check.One(Config.QuickThrowOnFailure.WithMaxTest(400), Prop.forAll (Arb.fromGen genPaths) safe)

[<Fact>]
let ``the bundled strategies format to the same plan, includes and all`` () =
    for file in Directory.GetFiles(Path.Combine(repoRoot, "strategies"), "*.strat") do
        let text = File.ReadAllText file

        match Compiler.formatWith readFile file text with
        | Ok formatted -> Assert.Equal(text, formatted)
        | Error ds -> failwith (String.Join("\n", ds |> List.map brief))
