using System.Text;
using StrategyLab.Exchanges.History;

namespace StrategyLab.Exchanges.Tests.History;

public sealed class HistoryCsvFileTests : IDisposable
{
    private const string Header = "timestamp,symbol,sum_open_interest,sum_open_interest_value";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "strategylab-csv-" + Guid.NewGuid().ToString("N"));
    private readonly ListLogger _log = new();
    private readonly List<string> _notes = [];

    private string FilePath => Path.Combine(_directory, "nested", "BTCUSDT-open_interest-5m.csv");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private HistoryCsvFile Open() => HistoryCsvFile.Open(FilePath, Header, _log, _notes);

    private void Write(string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        File.WriteAllText(FilePath, text, new UTF8Encoding(false));
    }

    private static (long, string) Row(long key) => (key, $"{key},BTCUSDT,1.50000000,63000.10000000");

    [Fact]
    public void CreatesTheFileAndItsDirectoryWithTheHeader()
    {
        using (var file = Open())
        {
            Assert.Null(file.LastKey);
            Assert.Null(file.FirstKey);
        }

        Assert.Equal(Header + "\n", File.ReadAllText(FilePath));
    }

    [Fact]
    public void AppendsRowsAfterTheHeaderAndRemembersTheKeys()
    {
        using (var file = Open())
        {
            file.Append([Row(100), Row(200)]);
            file.Append([Row(300)]);
            Assert.Equal(3, file.RowsAppended);
        }

        Assert.Equal($"{Header}\n{Row(100).Item2}\n{Row(200).Item2}\n{Row(300).Item2}\n", File.ReadAllText(FilePath));
        using var reopened = Open();
        Assert.Equal(100, reopened.FirstKey);
        Assert.Equal(300, reopened.LastKey);
        Assert.Equal(300, reopened.KeyAtOpen);
        Assert.Empty(_notes);
    }

    [Fact]
    public void CutsOffAPartialLastLineAndLogsIt()
    {
        Write($"{Header}\n{Row(100).Item2}\n{Row(200).Item2}\n300,BTCUSDT,1.5");

        using (var file = Open())
        {
            Assert.Equal(200, file.LastKey);
            file.Append([Row(300)]);
        }

        Assert.Equal($"{Header}\n{Row(100).Item2}\n{Row(200).Item2}\n{Row(300).Item2}\n", File.ReadAllText(FilePath));
        var note = Assert.Single(_notes);
        Assert.Contains("removed a partial last line (15 bytes)", note, StringComparison.Ordinal);
        Assert.Contains(_log.Messages, m => m.StartsWith("Warning: Removed a partial last line (15 bytes)", StringComparison.Ordinal));
    }

    [Fact]
    public void CutsOffAPartialFirstRow()
    {
        Write($"{Header}\n100,BTC");

        using var file = Open();

        Assert.Null(file.LastKey);
        Assert.Equal(Header + "\n", File.ReadAllText(FilePath));
    }

    [Fact]
    public void RewritesAHeaderCutShortByACrash()
    {
        Write("timestamp,sym");

        using (Open())
        {
        }

        Assert.Equal(Header + "\n", File.ReadAllText(FilePath));
        Assert.Single(_notes);
    }

    [Fact]
    public void RefusesAFileWithAnotherHeader()
    {
        Write("time,open,high,low,close\n1,2,3,4,5\n");

        var error = Assert.Throws<ExchangeException>(Open);

        Assert.Equal(ExchangeErrorKind.LocalFile, error.Kind);
        Assert.Equal($"{FilePath} has the header 'time,open,high,low,close', expected '{Header}'; move it away or choose another directory", error.Message);
        Assert.Equal("time,open,high,low,close\n1,2,3,4,5\n", File.ReadAllText(FilePath));
    }

    [Fact]
    public void RefusesALastRowItCannotRead()
    {
        Write($"{Header}\n{Row(100).Item2}\nabc,BTCUSDT,1,2\n");

        var error = Assert.Throws<ExchangeException>(Open);

        Assert.Equal(ExchangeErrorKind.LocalFile, error.Kind);
        Assert.Contains("the last row starts with 'abc', expected a time in Unix milliseconds", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesToAppendARowThatDoesNotFollowTheLastOne()
    {
        using var file = Open();
        file.Append([Row(200)]);

        Assert.Throws<InvalidOperationException>(() => file.Append([Row(200)]));
        Assert.Throws<InvalidOperationException>(() => file.Append([Row(300), Row(250)]));

        Assert.Equal($"{Header}\n{Row(200).Item2}\n", File.ReadAllText(FilePath));
    }

    [Fact]
    public void FindsTheLastRowOfAFileLongerThanOneReadChunk()
    {
        var text = new StringBuilder(Header).Append('\n');
        for (var key = 1; key <= 500; key++)
        {
            text.Append(Row(key).Item2).Append('\n');
        }

        Write(text.ToString());

        using var file = Open();

        Assert.Equal(1, file.FirstKey);
        Assert.Equal(500, file.LastKey);
    }

    private string Replacement => FilePath + HistoryCsvFile.ReplacementSuffix;

    private static string Revised(long key) => $"{key},BTCUSDT,1.75000000,73500.10000000";

    private string Content(params string[] lines) => Header + "\n" + string.Join("", lines.Select(l => l + "\n"));

    [Fact]
    public void ReplacesTheLastRowKeepingEveryOtherByte()
    {
        using (var file = Open())
        {
            file.Append([Row(100), Row(200), Row(300)]);

            file.ReplaceLast(300, Revised(300));

            Assert.Equal(Revised(300), file.LastLine);
            Assert.Equal(300, file.LastKey);
            Assert.Equal(1, file.RowsReplaced);
            file.Append([Row(400)]);
            file.ReplaceLast(400, Revised(400));
        }

        Assert.Equal(Content(Row(100).Item2, Row(200).Item2, Revised(300), Revised(400)), File.ReadAllText(FilePath));
        Assert.False(File.Exists(Replacement));
    }

    [Fact]
    public void ReplacesTheLastRowOfAFileAsItWasFoundWhenOpened()
    {
        Write(Content(Row(100).Item2, Row(200).Item2));

        using (var file = Open())
        {
            Assert.Equal(Row(200).Item2, file.LastLine);
            file.ReplaceLast(200, Revised(200));
            file.Append([Row(300)]);
        }

        Assert.Equal(Content(Row(100).Item2, Revised(200), Row(300).Item2), File.ReadAllText(FilePath));
    }

    [Fact]
    public void ReplacesAFilesOnlyRow()
    {
        Write(Content(Row(100).Item2));

        using (var file = Open())
        {
            file.ReplaceLast(100, Revised(100));
            Assert.Equal(100, file.FirstKey);
        }

        Assert.Equal(Content(Revised(100)), File.ReadAllText(FilePath));
    }

    [Fact]
    public void RefusesToReplaceARowThatIsNotTheLast()
    {
        using var file = Open();
        file.Append([Row(100), Row(200)]);

        Assert.Throws<InvalidOperationException>(() => file.ReplaceLast(100, Revised(100)));
        Assert.Throws<InvalidOperationException>(() => file.ReplaceLast(200, "200,BTCUSDT"));

        Assert.Equal(Content(Row(100).Item2, Row(200).Item2), File.ReadAllText(FilePath));
    }

    [Theory]
    [InlineData(false)] // killed once the new file is written, before it is renamed over the old
    [InlineData(true)] // killed once it is renamed, before the file is opened again
    public void LeavesTheOldOrTheNewLastRowWhereverAReplacementIsCutShort(bool replaced)
    {
        var killedAfter = replaced ? ReplaceStep.Renamed : ReplaceStep.Written;
        string[] before = [Row(100).Item2, Row(200).Item2, Row(300).Item2];
        string[] after = [Row(100).Item2, Row(200).Item2, Revised(300)];
        using (var file = Open())
        {
            file.Append([Row(100), Row(200), Row(300)]);
            file.AfterReplaceStep = step =>
            {
                if (step == killedAfter)
                {
                    throw new KilledException();
                }
            };

            Assert.Throws<KilledException>(() => file.ReplaceLast(300, Revised(300)));
        }

        // as a kill at that point leaves it: whole, with one version of the last row or the other
        Assert.Equal(Content(replaced ? after : before), File.ReadAllText(FilePath));
        Assert.Equal(!replaced, File.Exists(Replacement));

        // the next run finds the file as it was left, clears what the replacement left behind, and can replace the row
        using (var reopened = Open())
        {
            Assert.Equal(300, reopened.LastKey);
            Assert.Equal(replaced ? Revised(300) : Row(300).Item2, reopened.LastLine);
            Assert.False(File.Exists(Replacement));
            Assert.Equal(replaced ? 0 : 1, _notes.Count(n => n.Contains("an unfinished replacement of the last row", StringComparison.Ordinal)));
            if (!replaced)
            {
                reopened.ReplaceLast(300, Revised(300));
            }
        }

        Assert.Equal(Content(after), File.ReadAllText(FilePath));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(70)]
    [InlineData(200)]
    public void RemovesAReplacementCutShortWhileItWasWritten(int bytesWritten)
    {
        // a kill while the new file was being written leaves any prefix of it beside an untouched file
        var original = Content(Row(100).Item2, Row(200).Item2, Row(300).Item2);
        var unfinished = Content(Row(100).Item2, Row(200).Item2, Revised(300));
        Write(original);
        File.WriteAllText(Replacement, unfinished[..Math.Min(bytesWritten, unfinished.Length)], new UTF8Encoding(false));

        using (var file = Open())
        {
            Assert.Equal(Row(300).Item2, file.LastLine);
        }

        Assert.Equal(original, File.ReadAllText(FilePath));
        Assert.False(File.Exists(Replacement));
        var note = Assert.Single(_notes);
        Assert.Equal($"removed {Replacement}, an unfinished replacement of the last row of {FilePath} left by an interrupted download", note);
        Assert.Contains(_log.Messages, m => m.StartsWith($"Warning: Removed {Replacement}", StringComparison.Ordinal));
    }

    private sealed class KilledException : Exception;
}
