module StrategyLab.Strategy.Dsl.Includes

open System
open System.IO

let maxFileBytes = 1024L * 1024L

[<RequireQualifiedAccess>]
type PathProblem =
    | Invalid
    | Absolute
    | Outside
    | NotStrategyFile

[<RequireQualifiedAccess>]
type IncludeProblem =
    | Missing
    | OutsideFolder
    | NotStrategyFile
    | NotRegularFile
    | TooLarge
    | Unreadable of reason: string

type IncludeRequest = { Folder: string; Path: string }

type IncludeReader = IncludeRequest -> Result<string, IncludeProblem>

let private extension = ".strat"

let private folderOf (including: string) =
    match Path.GetDirectoryName(including.Replace('\\', '/')) with
    | null -> ""
    | folder -> folder.Replace('\\', '/')

let resolve (including: string) (relative: string) : Result<IncludeRequest, PathProblem> =
    let rooted =
        relative.StartsWith '/'
        || relative.StartsWith '\\'
        || relative.StartsWith '~'
        || (relative.Length >= 2 && Char.IsAsciiLetter relative[0] && relative[1] = ':')

    if String.IsNullOrWhiteSpace relative || relative |> Seq.exists Char.IsControl then
        Result.Error PathProblem.Invalid
    elif rooted then
        Result.Error PathProblem.Absolute
    else
        // '.' and '..' are taken lexically here; symbolic links are the reader's to follow
        let segments =
            relative.Split([| '/'; '\\' |], StringSplitOptions.RemoveEmptyEntries)
            |> Array.fold
                (fun (kept: string list option) segment ->
                    match kept, segment with
                    | None, _ -> None
                    | Some k, "." -> Some k
                    | Some [], ".." -> None
                    | Some(_ :: rest), ".." -> Some rest
                    | Some k, s -> Some(s :: k))
                (Some [])

        match segments with
        | None
        | Some [] -> Result.Error PathProblem.Outside
        | Some(last :: _) when not (last.EndsWith(extension, StringComparison.Ordinal)) || last = extension ->
            Result.Error PathProblem.NotStrategyFile
        | Some reversed ->
            let folder = folderOf including
            let inside = String.Join("/", List.rev reversed)

            Result.Ok
                {
                    Folder = folder
                    Path = (if folder = "" then inside else folder + "/" + inside)
                }

// the path with every symbolic link of every segment followed, or None after too many links (a loop)
let rec private realPath (path: string) (hops: int) : string option =
    let full = Path.GetFullPath path

    let root =
        match Path.GetPathRoot full with
        | null -> ""
        | r -> r

    let parts =
        full.Substring(root.Length).Split([| '/'; '\\' |], StringSplitOptions.RemoveEmptyEntries)

    let rec walk (current: string) (i: int) =
        if i = parts.Length then
            Some current
        else
            let next = Path.Combine(current, parts[i])

            let link =
                if Directory.Exists next then
                    DirectoryInfo(next).LinkTarget
                else
                    FileInfo(next).LinkTarget

            match link with
            | null -> walk next (i + 1)
            | _ when hops >= 40 -> None
            | target ->
                let resolved = Path.Combine(current, target)
                realPath (Path.Combine(Array.append [| resolved |] parts[i + 1 ..])) (hops + 1)

    walk root 0

let private oneLine (message: string) =
    message.Replace('\r', ' ').Replace('\n', ' ').Trim()

// reads at most maxFileBytes + 1 bytes, so a file that grows, or lies about its size, is still bounded
let private readBounded (path: string) : Result<string, IncludeProblem> =
    use stream =
        new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan)

    let buffer = Array.zeroCreate<byte>(int maxFileBytes + 1)
    let mutable total = 0
    let mutable reading = true

    while reading && total < buffer.Length do
        let n = stream.Read(buffer, total, buffer.Length - total)

        if n = 0 then reading <- false else total <- total + n

    if total > int maxFileBytes then
        Result.Error IncludeProblem.TooLarge
    else
        let bom =
            if total >= 3 && buffer[0] = 0xEFuy && buffer[1] = 0xBBuy && buffer[2] = 0xBFuy then
                3
            else
                0

        Result.Ok(Text.Encoding.UTF8.GetString(buffer, bom, total - bom))

// directories, devices and pipes report no length: only a file with a length between 1 and the limit is opened
let private readRegular (path: string) : Result<string, IncludeProblem> =
    try
        if Directory.Exists path then
            Result.Error IncludeProblem.NotRegularFile
        elif not (File.Exists path) then
            Result.Error IncludeProblem.Missing
        else
            match FileInfo(path).Length with
            | 0L -> Result.Error IncludeProblem.NotRegularFile
            | n when n > maxFileBytes -> Result.Error IncludeProblem.TooLarge
            | _ -> readBounded path
    with
    | :? UnauthorizedAccessException -> Result.Error(IncludeProblem.Unreadable "permission denied")
    | :? IOException as e -> Result.Error(IncludeProblem.Unreadable(oneLine e.Message))

let readStrategyFile (path: string) : Result<string, string> =
    if String.IsNullOrWhiteSpace path || path |> Seq.exists Char.IsControl then
        Result.Error "not a file name"
    else
        match readRegular path with
        | Result.Ok text -> Result.Ok text
        // an empty file, or a device or pipe (which report no length): nothing is read
        | Result.Error IncludeProblem.NotRegularFile when File.Exists path -> Result.Ok ""
        | Result.Error IncludeProblem.Missing -> Result.Error "no such file"
        | Result.Error IncludeProblem.TooLarge -> Result.Error $"larger than %d{maxFileBytes / 1024L} KB"
        | Result.Error IncludeProblem.NotRegularFile -> Result.Error "not a file with text"
        | Result.Error(IncludeProblem.Unreadable reason) -> Result.Error reason
        | Result.Error _ -> Result.Error "cannot be read"

let private readInclude (request: IncludeRequest) : Result<string, IncludeProblem> =
    let folder = if request.Folder = "" then "." else request.Folder

    match realPath folder 0, realPath request.Path 0 with
    | Some realFolder, Some realFile ->
        // a folder at the root of the file system already ends in its separator
        let prefix =
            if Path.EndsInDirectorySeparator realFolder then
                realFolder
            else
                realFolder + string Path.DirectorySeparatorChar

        let inside = realFile.StartsWith(prefix, StringComparison.Ordinal)

        if not inside then
            Result.Error IncludeProblem.OutsideFolder
        elif not (realFile.EndsWith(extension, StringComparison.Ordinal)) then
            Result.Error IncludeProblem.NotStrategyFile
        else
            readRegular realFile
    | _ -> Result.Error(IncludeProblem.Unreadable "too many symbolic links")

type DiskReader() =
    let sources = Collections.Generic.Dictionary<string, string>()

    member _.Read(request: IncludeRequest) : Result<string, IncludeProblem> =
        let read =
            try
                readInclude request
            with
            | :? UnauthorizedAccessException -> Result.Error(IncludeProblem.Unreadable "permission denied")
            | :? IOException as e -> Result.Error(IncludeProblem.Unreadable(oneLine e.Message))

        match read with
        | Result.Ok text -> sources[request.Path] <- text
        | Result.Error _ -> ()

        read

    member _.Source(path: string) : string option =
        match sources.TryGetValue path with
        | true, text -> Some text
        | _ -> None
