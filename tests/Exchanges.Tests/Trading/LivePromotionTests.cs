using Microsoft.Data.Sqlite;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Tests.Trading;

/// <summary><c>live --live</c> trades only the deployment (text and parameters) and data promoted to live.</summary>
public sealed class LivePromotionTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"live-promotion-{Guid.NewGuid():N}.db");
    private readonly SqliteJournal _journal;

    public LivePromotionTests() => _journal = new SqliteJournal(_path);

    public void Dispose()
    {
        _journal.Dispose();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_path + suffix);
    }

    [Fact]
    public void OnlyTheDeploymentAndDataPromotedToLiveMayTradeLive()
    {
        Assert.Equal("not promoted to live: momentum was never promoted to live; run strategylab promote FILE --to live (after --to paper and a paper session)",
            Promotions.LiveRefusal(_journal, "momentum", "aaaa", "data1"));
        _journal.RecordPromotion(new Promotion("momentum", "aaaa", PromotionStage.Paper, "data1", "k=5", "bt", DateTimeOffset.UnixEpoch));
        Assert.StartsWith("not promoted to live: momentum was never promoted to live", Promotions.LiveRefusal(_journal, "momentum", "aaaa", "data1"));

        _journal.RecordPromotion(new Promotion("momentum", "aaaa", PromotionStage.Live, "data1", "k=5", "paper session 1", DateTimeOffset.UnixEpoch));
        Assert.Null(Promotions.LiveRefusal(_journal, "momentum", "aaaa", "data1"));
        Assert.StartsWith("not promoted to live: the data differs from the data it was promoted to live with (data2 now)",
            Promotions.LiveRefusal(_journal, "momentum", "aaaa", "data2"));
        Assert.StartsWith("not promoted to live: this strategy text and its parameters differ from those promoted to live (deployment bbbb now, aaaa promoted)",
            Promotions.LiveRefusal(_journal, "momentum", "bbbb", "data1"));
        // another strategy's promotion is not this one's
        Assert.StartsWith("not promoted to live: other was never promoted", Promotions.LiveRefusal(_journal, "other", "aaaa", "data1"));
    }
}
