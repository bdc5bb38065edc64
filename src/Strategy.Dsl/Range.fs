/// Source positions and ranges of .strat text
namespace StrategyLab.Strategy.Dsl

/// A 1-based line and column in a source file
[<Struct>]
type Pos = { Line: int; Column: int }

/// A span of source text in a file: Start is inclusive, End exclusive (same line: End.Column - Start.Column characters)
[<Struct; CustomEquality; NoComparison>]
type Range =
    {
        File: string
        Start: Pos
        End: Pos
    }

    override r.Equals(o) =
        match o with
        | :? Range as q -> r.File = q.File && r.Start = q.Start && r.End = q.End
        | _ -> false

    override r.GetHashCode() =
        hash (r.File, r.Start.Line, r.Start.Column, r.End.Line, r.End.Column)

/// Functions over ranges
[<RequireQualifiedAccess>]
module Range =
    /// Returns the range from a to b in file
    let make file (a: Pos) (b: Pos) = { File = file; Start = a; End = b }

    /// Returns the smallest range covering both ranges (of the same file)
    let union (a: Range) (b: Range) =
        let before (p: Pos) (q: Pos) =
            p.Line < q.Line || (p.Line = q.Line && p.Column <= q.Column)

        {
            File = a.File
            Start = (if before a.Start b.Start then a.Start else b.Start)
            End = (if before a.End b.End then b.End else a.End)
        }

    /// A range of no extent at line 1, column 1 of the file
    let startOf file =
        let p = { Line = 1; Column = 1 }
        { File = file; Start = p; End = p }
