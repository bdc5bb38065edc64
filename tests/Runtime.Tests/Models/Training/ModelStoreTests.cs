using StrategyLab.Runtime.Models.Training;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Tests.Models.Training;

public sealed class ModelStoreTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "strategylab-store-" + Guid.NewGuid().ToString("N"));

    private static readonly FoldKey Key = new(new string('a', 64), 11, 22, "m", 3, 1_600_000_000_000, 1_700_000_000_000);

    private static readonly byte[] Payload = [1, 2, 3, 4, 5, 6, 7, 8, 9];

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, true);
    }

    [Fact]
    public void A_saved_fold_reads_back_under_its_key_at_its_documented_path()
    {
        var store = new ModelStore(_folder);
        store.Save(Key, Payload);
        Assert.Equal(Path.Combine(_folder, "aaaaaaaaaaaaaaaa", "m", "fold-3.slm"), store.PathOf(Key));
        Assert.Equal(Payload, store.TryLoad(Key, out var refusal));
        Assert.Null(refusal);
    }

    [Fact]
    public void Pruning_keeps_the_given_plans_and_everything_that_is_not_a_plan_folder()
    {
        var store = new ModelStore(_folder);
        var other = Key with { PlanHash = new string('b', 64) };
        store.Save(Key, Payload);
        store.Save(Key with { Fold = 4 }, Payload);
        store.Save(other, Payload);
        Directory.CreateDirectory(Path.Combine(_folder, "notes"));
        File.WriteAllText(Path.Combine(_folder, "readme.txt"), "kept");
        Assert.Equal(["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"], store.Plans().Select(p => p.Name));
        Assert.Equal(2, store.Plans()[0].Files);

        // a dry run names the plan and deletes nothing
        var would = store.Prune([Key.PlanHash], dryRun: true);
        Assert.Equal(["bbbbbbbbbbbbbbbb"], would.Select(p => p.Name));
        Assert.Equal(new FileInfo(store.PathOf(other)).Length, would[0].Bytes);
        Assert.True(File.Exists(store.PathOf(other)));

        var pruned = store.Prune([Key.PlanHash]);
        Assert.Equal(["bbbbbbbbbbbbbbbb"], pruned.Select(p => p.Name));
        Assert.False(Directory.Exists(Path.Combine(_folder, "bbbbbbbbbbbbbbbb")));
        Assert.Equal(Payload, store.TryLoad(Key with { Fold = 4 }, out _));
        Assert.True(Directory.Exists(Path.Combine(_folder, "notes")));
        Assert.True(File.Exists(Path.Combine(_folder, "readme.txt")));
        Assert.Empty(new ModelStore(Path.Combine(_folder, "absent")).Prune([]));
    }

    [Fact]
    public void A_missing_file_is_neither_read_nor_refused()
    {
        Assert.Null(new ModelStore(_folder).TryLoad(Key, out var refusal));
        Assert.Null(refusal);
    }

    [Theory]
    [InlineData("plan", "was trained for another plan")]
    [InlineData("parameters", "other parameter values")]
    [InlineData("data", "other data")]
    [InlineData("range", "was trained on 2020-09-13")]
    public void A_file_made_for_something_else_is_refused_with_the_reason(string change, string reason)
    {
        var store = new ModelStore(_folder);
        store.Save(Key, Payload);
        var other = change switch
        {
            "plan" => Key with { PlanHash = "a" + new string('b', 63) },
            "parameters" => Key with { ParametersHash = 12 },
            "data" => Key with { DataHash = 23 },
            _ => Key with { TrainFirstMs = 1_600_000_000_001 },
        };
        // the plan hash picks the folder: copy the file to where the other key looks
        if (change == "plan")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(store.PathOf(other))!);
            File.Copy(store.PathOf(Key), store.PathOf(other));
        }
        Assert.Null(store.TryLoad(other, out var refusal));
        Assert.Contains(reason, refusal);
        Assert.StartsWith(store.PathOf(other), refusal);
    }

    [Fact]
    public void A_changed_byte_anywhere_after_the_magic_or_a_cut_file_is_refused()
    {
        var store = new ModelStore(_folder);
        store.Save(Key, Payload);
        var path = store.PathOf(Key);
        var good = File.ReadAllBytes(path);
        for (var i = 8; i < good.Length; i++)
        {
            var bad = (byte[])good.Clone();
            bad[i] ^= 0x10;
            File.WriteAllBytes(path, bad);
            Assert.Null(store.TryLoad(Key, out var refusal));
            Assert.NotNull(refusal);
        }
        File.WriteAllBytes(path, good[..^3]);
        Assert.Null(store.TryLoad(Key, out var cut));
        Assert.Contains("truncated", cut);
        var flipped = (byte[])good.Clone();
        flipped[^12] ^= 1; // inside the payload
        File.WriteAllBytes(path, flipped);
        Assert.Null(store.TryLoad(Key, out var corrupt));
        Assert.Contains("checksum", corrupt);
    }

    [Fact]
    public void The_parameter_hash_depends_on_values_not_on_order()
    {
        var a = new Dictionary<string, ScalarValue> { ["k"] = ScalarValue.Of(5), ["w"] = ScalarValue.Of("x") };
        var b = new Dictionary<string, ScalarValue> { ["w"] = ScalarValue.Of("x"), ["k"] = ScalarValue.Of(5) };
        var c = new Dictionary<string, ScalarValue> { ["k"] = ScalarValue.Of(6), ["w"] = ScalarValue.Of("x") };
        Assert.Equal(FoldKey.HashParameters(a), FoldKey.HashParameters(b));
        Assert.NotEqual(FoldKey.HashParameters(a), FoldKey.HashParameters(c));
    }
}
