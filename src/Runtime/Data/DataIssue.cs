namespace StrategyLab.Runtime.Data;

/// <summary>What is wrong with a row of imported data.</summary>
public enum DataIssueKind
{
    /// <summary>The file cannot be read as the expected layout (missing column, wrong field count).</summary>
    Layout,
    /// <summary>A number field does not parse.</summary>
    UnparsableNumber,
    /// <summary>A time field does not parse.</summary>
    UnparsableTime,
    /// <summary>A required field is empty.</summary>
    MissingValue,
    /// <summary>A time is earlier than the row before it for the same symbol.</summary>
    NonMonotonicTime,
    /// <summary>The same symbol has two rows at one time.</summary>
    DuplicateTime,
    /// <summary>The high is below the low.</summary>
    HighBelowLow,
    /// <summary>The open or close lies outside the bar's range: above the high or below the low.</summary>
    PriceOutsideRange,
    /// <summary>A volume is negative, or written as NaN or infinity.</summary>
    InvalidVolume,
    /// <summary>A price is zero or negative.</summary>
    NonPositivePrice,
    /// <summary>Bars are missing between two rows of a symbol.</summary>
    Gap,
    /// <summary>A row names a symbol the dataset has no candles for.</summary>
    UnknownSymbol,
}

/// <summary>
/// One finding of the importer, pointing at the file, the 1-based line and the field,
/// so that the user can open the file at that place.
/// </summary>
public sealed record DataIssue(DataIssueKind Kind, string File, int Line, string? Field, string Message)
{
    /// <summary>Renders <c>file(line): field: message</c>.</summary>
    public override string ToString() =>
        Field is null ? $"{File}({Line}): {Message}" : $"{File}({Line}): {Field}: {Message}";
}

/// <summary>What to do with gaps (missing bars inside a symbol's history).</summary>
public enum GapRepair
{
    /// <summary>A gap is an error.</summary>
    Error,
    /// <summary>Leave the missing bars missing (NaN), and log each gap.</summary>
    Keep,
    /// <summary>Fill missing bars with the previous close (open = high = low = close, volume 0), and log.</summary>
    ForwardFill,
}

/// <summary>What to do with a row that fails validation (bad number, non-positive price, high below low).</summary>
public enum RowRepair
{
    /// <summary>An invalid row is an error.</summary>
    Error,
    /// <summary>Drop the row, and log it.</summary>
    Drop,
}

/// <summary>What to do with two rows for one symbol and time.</summary>
public enum DuplicateRepair
{
    /// <summary>A duplicate is an error.</summary>
    Error,
    /// <summary>Keep the first row, drop the later ones, and log.</summary>
    KeepFirst,
}

/// <summary>What to do with rows out of time order within a symbol.</summary>
public enum OrderRepair
{
    /// <summary>Out-of-order times are an error.</summary>
    Error,
    /// <summary>Sort each symbol's rows by time, and log.</summary>
    Sort,
}

/// <summary>
/// Repairs the importer may make. The default repairs nothing: every problem is an error, and
/// every repair that is asked for is logged, so no row is ever dropped or invented in silence.
/// </summary>
public sealed record RepairPolicy(
    GapRepair Gaps = GapRepair.Error,
    RowRepair InvalidRows = RowRepair.Error,
    DuplicateRepair Duplicates = DuplicateRepair.Error,
    OrderRepair Order = OrderRepair.Error)
{
    /// <summary>No repairs.</summary>
    public static RepairPolicy Strict { get; } = new();
}

/// <summary>Data that cannot be used as it is: lists every issue found (not only the first).</summary>
public sealed class DataValidationException(IReadOnlyList<DataIssue> issues)
    : Exception(Describe(issues))
{
    /// <summary>All issues found, in file order.</summary>
    public IReadOnlyList<DataIssue> Issues { get; } = issues;

    private static string Describe(IReadOnlyList<DataIssue> issues)
    {
        const int shown = 20;
        var lines = issues.Take(shown).Select(i => "  " + i);
        var more = issues.Count > shown ? $"{Environment.NewLine}  … and {issues.Count - shown} more" : "";
        return $"{issues.Count} data error(s):{Environment.NewLine}{string.Join(Environment.NewLine, lines)}{more}";
    }
}

/// <summary>A data file or the cache folder cannot be read or written; the message names the path.</summary>
public sealed class DataFileException(string message, Exception inner) : IOException(message, inner);
