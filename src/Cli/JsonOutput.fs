/// Machine-readable output: one JSON document on standard output per command run with --json.
/// Every document is an envelope {"command", "ok", "files": [{"path", "ok", "diagnostics": [...]}]}
/// to which a command adds its own result fields, or "error" with the line that stopped it;
/// diagnostics keep the compiler's codes and 1-based ranges.
module StrategyLab.Cli.JsonOutput

open System
open System.Text.Json
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Diagnostics

/// One input file of a command and what was found in it
type FileReport =
    {
        Path: string
        Diagnostics: Diagnostic list
    }

    /// True when no diagnostic is an error
    member f.Ok = f.Diagnostics |> List.forall (fun d -> d.Severity <> Severity.Error)

let private writeDiagnostic (w: Utf8JsonWriter) (d: Diagnostic) =
    w.WriteStartObject()
    w.WriteString("code", d.Code)

    w.WriteString(
        "severity",
        (match d.Severity with
         | Severity.Error -> "error"
         | Severity.Warning -> "warning")
    )

    w.WriteString("file", d.Range.File)
    w.WriteNumber("line", d.Range.Start.Line)
    w.WriteNumber("column", d.Range.Start.Column)
    w.WriteNumber("endLine", d.Range.End.Line)
    w.WriteNumber("endColumn", d.Range.End.Column)
    w.WriteString("message", d.Message)

    match d.Hint with
    | Some h -> w.WriteString("hint", h)
    | None -> w.WriteNull "hint"

    w.WriteEndObject()

/// Writes the envelope of a command to standard output; extra writes the command's own fields (none for check)
let rec writeEnvelope (command: string) (files: FileReport list) (extra: Utf8JsonWriter -> unit) =
    writeOutcome command files (Ok extra)

/// Writes the envelope of a command that produced its fields (Ok) or stopped with an error line (Error):
/// "ok" is false when a file has errors or the command failed, and a failure's line is under "error"
and writeOutcome (command: string) (files: FileReport list) (outcome: Result<Utf8JsonWriter -> unit, string>) =
    use stdout = Console.OpenStandardOutput()

    let options =
        JsonWriterOptions(Indented = true, Encoder = Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)

    use w = new Utf8JsonWriter(stdout, options)
    w.WriteStartObject()
    w.WriteString("command", command)
    w.WriteBoolean("ok", Result.isOk outcome && files |> List.forall (fun f -> f.Ok))
    w.WriteStartArray "files"

    for f in files do
        w.WriteStartObject()
        w.WriteString("path", f.Path)
        w.WriteBoolean("ok", f.Ok)
        w.WriteStartArray "diagnostics"

        for d in f.Diagnostics do
            writeDiagnostic w d

        w.WriteEndArray()
        w.WriteEndObject()

    w.WriteEndArray()

    match outcome with
    | Ok extra -> extra w
    | Error message -> w.WriteString("error", message)

    w.WriteEndObject()
    w.Flush()
    stdout.WriteByte(byte '\n')
