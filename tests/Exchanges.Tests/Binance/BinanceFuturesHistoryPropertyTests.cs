using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.History;

namespace StrategyLab.Exchanges.Tests.Binance;

/// <summary>
/// Whatever the page size, whichever requests fail (429, 5xx, malformed body, connection dropped mid-page or closed
/// before an answer), however far the venue's clock is from ours, whether it answers from the bar containing the start
/// time, and wherever a run is killed (leaving a partial line, or a replacement of the last row half done) while the
/// venue revises the last row written, running the download again ends with exactly the venue's closed bars.
/// </summary>
public sealed class BinanceFuturesHistoryPropertyTests
{
    private const int KlineCount = 2500;
    private static readonly DateTimeOffset Now = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset KlineStart = Now - TimeSpan.FromMinutes(5 * KlineCount);

    public sealed record Scenario(
        int PageSize,
        (int Request, int Kind)[] Faults,
        int KillAfterPages,
        int PartialLength,
        int ClockOffsetSeconds,
        bool ContainingStart,
        bool ReviseLastRow,
        int LeftReplacement)
    {
        public override string ToString() =>
            $"page {PageSize}, faults [{string.Join(", ", Faults.Select(f => $"#{f.Request}:{Names[f.Kind]}"))}], kill after {KillAfterPages} pages, "
            + $"partial {PartialLength}, venue clock {ClockOffsetSeconds:+0;-0} s, containing start {ContainingStart}, revise last row {ReviseLastRow}, "
            + $"replacement left {ReplacementsLeft[LeftReplacement]}";
    }

    private static readonly string[] Names = ["429", "503", "malformed", "drop", "close"];
    private static readonly string[] ReplacementsLeft = ["none", "partly written", "written, not renamed"];

    private static readonly Gen<Scenario> Scenarios =
        from pageSize in Gen.Choose(100, 1500)
        from faults in Gen.ListOf(Gen.Zip(Gen.Choose(1, 10), Gen.Choose(0, 4)), 4)
        from kill in Gen.Choose(0, 2)
        from partial in Gen.Choose(1, 60)
        from offset in Gen.Choose(-900, 900)
        from containing in Gen.Elements(false, true)
        from revise in Gen.Elements(false, true)
        from replacement in Gen.Choose(0, 2)
        select new Scenario(pageSize, [.. faults.DistinctBy(f => f.Item1)], kill, partial, offset, containing, revise, replacement);

    [Fact]
    public void EndsWithExactlyTheVenuesRowsWhateverFailsOnTheWay() =>
        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(20),
            Prop.ForAll(Scenarios.ToArbitrary(), s => Run(s).GetAwaiter().GetResult()));

    [Fact]
    public void EndsWithExactlyTheVenuesRowsAfterAKillLeftAReplacementHalfDone() =>
        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(10),
            Prop.ForAll(
                Scenarios.Where(s => s.KillAfterPages > 0).Select(s => s with { ReviseLastRow = true, LeftReplacement = 1 + (s.PageSize % 2) }).ToArbitrary(),
                s => Run(s).GetAwaiter().GetResult()));

    private static async Task<bool> Run(Scenario scenario)
    {
        var directory = Path.Combine(Path.GetTempPath(), "strategylab-binance-prop-" + Guid.NewGuid().ToString("N"));
        var clock = new VirtualTimeProvider(Now);
        await using var venue = await FakeBinanceVenue.StartAsync();
        try
        {
            var klines = FakeBinanceVenue.GenerateKlines(KlineStart, 300_000, KlineCount, seed: scenario.PageSize);
            venue.Klines[("ETHUSDT", "5m")] = klines;
            venue.Now = clock.GetUtcNow;
            venue.ClockOffset = TimeSpan.FromSeconds(scenario.ClockOffsetSeconds);
            venue.ServesBarContainingStartTime = scenario.ContainingStart;
            foreach (var (number, kind) in scenario.Faults)
            {
                venue.Fail(number, kind switch
                {
                    0 => Fault.TooManyRequests(3),
                    1 => Fault.ServerError(),
                    2 => Fault.MalformedBody(),
                    3 => Fault.DropMidBody(),
                    _ => Fault.CloseWithoutAnswer(),
                });
            }

            var options = new BinanceHistoryOptions
            {
                BaseAddress = venue.BaseAddress,
                TimeProvider = clock,
                KlinesPerRequest = scenario.PageSize,
                MaxMalformedRetries = 5,
            };
            var request = new KlineDownloadRequest(["ETHUSDT"], "5m", KlineStart - TimeSpan.FromDays(1), null, directory);
            var file = Path.Combine(directory, "ETHUSDT-5m.csv");

            if (scenario.KillAfterPages > 0)
            {
                using var cancellation = new CancellationTokenSource();
                var pages = 0;
                var progress = new Progress(p =>
                {
                    if (p.RowsWritten > 0 && ++pages >= scenario.KillAfterPages)
                    {
                        cancellation.Cancel();
                    }
                });
                using var killed = new BinanceFuturesHistory(options);
                try
                {
                    await killed.DownloadKlinesAsync(request, progress, cancellation.Token);
                }
                catch (OperationCanceledException)
                {
                }

                var lines = File.ReadAllLines(file);
                var written = lines.Length - 1;
                if (scenario.ReviseLastRow && written > 0)
                {
                    // the venue has since revised the last bar written; a run killed while replacing it left part of the new file
                    klines[written - 1] = klines[written - 1].Revised("1234.56", 4321);
                    var replacement = string.Join('\n', [.. lines[..^1], klines[written - 1].CsvLine]) + "\n";
                    var left = scenario.LeftReplacement == 1 ? replacement[..(replacement.Length * scenario.PartialLength / 61)] : replacement;
                    if (scenario.LeftReplacement > 0)
                    {
                        await File.WriteAllTextAsync(file + ".replacing", left);
                    }
                }

                var next = written < klines.Count ? klines[written].CsvLine : "9999999999999,1";
                await File.AppendAllTextAsync(file, next[..Math.Min(scenario.PartialLength, next.Length - 1)]);
            }

            using (var history = new BinanceFuturesHistory(options))
            {
                await history.DownloadKlinesAsync(request);
            }

            if (File.Exists(file + ".replacing"))
            {
                return false;
            }

            // the venue's bars as it has them now, byte for byte, from the first: every one closed a second before the
            // venue's time at the end (its clock moved on during backoffs), none still open then
            var venueNow = venue.VenueNow.ToUnixTimeMilliseconds();
            var text = await File.ReadAllTextAsync(file);
            var fileLines = text.Split('\n');
            var rows = fileLines.Length - 2;
            return text.EndsWith('\n')
                && fileLines[0] == BinanceFuturesHistory.KlineCsvHeader
                && rows >= klines.Count(k => k.CloseTime < venueNow - 1000)
                && rows <= klines.Count(k => k.CloseTime < venueNow)
                && fileLines[1..^1].SequenceEqual(klines.Take(rows).Select(k => k.CsvLine));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private sealed class Progress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
