/// The include rules: an include names a .strat file in the including file's folder or below it, by a relative
/// path; the file is read only when, after symbolic links, it is a regular file inside that folder and at most
/// maxFileBytes long. The compiler applies the rules that need no file system; the reader applies the rest.
module StrategyLab.Strategy.Dsl.Includes

/// The largest strategy file read, main or included (1 MB)
val maxFileBytes: int64

/// Why an include path is refused before any file is looked at
[<RequireQualifiedAccess>]
type PathProblem =
    /// empty, or holding control characters
    | Invalid
    /// rooted: /etc/passwd, C:\x, \\server\x, ~/x
    | Absolute
    /// '..' leads above the including file's folder
    | Outside
    /// the name does not end in .strat
    | NotStrategyFile

/// Why an included file was not read
[<RequireQualifiedAccess>]
type IncludeProblem =
    | Missing
    /// the file, after symbolic links, is outside the including file's folder
    | OutsideFolder
    /// the file, after symbolic links, does not end in .strat
    | NotStrategyFile
    /// a directory, device, pipe or empty file
    | NotRegularFile
    | TooLarge
    /// any other reason, in one line that quotes no file content
    | Unreadable of reason: string

/// An include to read: the folder of the including file, and the include's path inside it
type IncludeRequest = { Folder: string; Path: string }

/// Reads an included file
type IncludeReader = IncludeRequest -> Result<string, IncludeProblem>

/// Returns the path an include names, joined to the including file's folder with '/' and without '.' or '..'
/// segments, or why the path is refused. Example: resolve "strategies/x.strat" "shared/n.strat" =
/// Ok { Folder = "strategies"; Path = "strategies/shared/n.strat" }
val resolve: including: string -> relative: string -> Result<IncludeRequest, PathProblem>

/// Reads a strategy file named on the command line: a regular file of at most maxFileBytes, as UTF-8 text;
/// the reason is one line
val readStrategyFile: path: string -> Result<string, string>

/// Reads included files from disk under the include rules, and keeps the text of every file it read, so that
/// diagnostics in included files can show their line
type DiskReader =
    new: unit -> DiskReader
    /// Reads an included file under the rules
    member Read: request: IncludeRequest -> Result<string, IncludeProblem>
    /// The text of a file this reader read, by the path it was asked for
    member Source: path: string -> string option
