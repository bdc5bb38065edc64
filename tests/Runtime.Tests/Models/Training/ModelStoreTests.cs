using System.Buffers.Binary;
using System.Text;
using StrategyLab.Runtime.Data.Cache;
using StrategyLab.Runtime.Models.Training;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Tests.Models.Training;

public sealed class ModelStoreTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "strategylab-store-" + Guid.NewGuid().ToString("N"));

    private static readonly FoldKey Key = new(new string('a', 64), 11, 22, "m", 3, 1_600_000_000_000, 1_700_000_000_000)
    {
        Strategy = "momentum_ridge",
        TestFirstMs = 1_700_086_400_000,
        TestLastMs = 1_710_000_000_000,
    };

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
        Assert.Equal(Payload, store.TryLoad(Key, out var refusal)?.Payload);
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
        Assert.Equal(["bbbbbbbbbbbbbbbb"], would.Deleted.Select(p => p.Name));
        Assert.Equal(["aaaaaaaaaaaaaaaa"], would.Kept.Select(p => p.Name));
        Assert.Empty(would.InUse);
        Assert.Equal(new FileInfo(store.PathOf(other)).Length, would.Deleted[0].Bytes);
        Assert.True(File.Exists(store.PathOf(other)));

        var pruned = store.Prune([Key.PlanHash]);
        Assert.Equal(["bbbbbbbbbbbbbbbb"], pruned.Deleted.Select(p => p.Name));
        Assert.False(Directory.Exists(Path.Combine(_folder, "bbbbbbbbbbbbbbbb")));
        Assert.Equal(Payload, store.TryLoad(Key with { Fold = 4 }, out _)?.Payload);
        Assert.True(Directory.Exists(Path.Combine(_folder, "notes")));
        Assert.True(File.Exists(Path.Combine(_folder, "readme.txt")));
        Assert.Empty(new ModelStore(Path.Combine(_folder, "absent")).Prune([]).Deleted);
    }

    [Fact]
    public void A_listing_names_each_fold_files_strategy_model_ranges_and_size()
    {
        var store = new ModelStore(_folder);
        store.Save(Key with { Fold = 1, TrainFirstMs = 1_500_000_000_000 }, Payload);
        store.Save(Key, [.. Payload, .. Payload]);
        store.Save(Key with { Model = "a" }, Payload);
        var plan = Assert.Single(store.Plans());
        Assert.Equal("momentum_ridge", plan.Strategy);
        Assert.Equal(LockKind.Free, plan.Lock.Kind);
        Assert.Equal([("a", 3), ("m", 1), ("m", 3)], plan.Folds.Select(f => (f.Model, f.Fold)));
        var fold = plan.Folds[2];
        Assert.Equal((1_600_000_000_000L, 1_700_000_000_000L), (fold.TrainFirstMs, fold.TrainLastMs));
        Assert.Equal((1_700_086_400_000L, 1_710_000_000_000L), (fold.TestFirstMs!.Value, fold.TestLastMs!.Value));
        Assert.Equal(1_500_000_000_000L, plan.Folds[1].TrainFirstMs);
        Assert.Equal(new FileInfo(store.PathOf(Key)).Length, fold.Bytes);
        Assert.Equal(plan.Folds[1].Bytes + Payload.Length, fold.Bytes);
        Assert.Equal(2, fold.Version);
        Assert.Null(fold.Problem);
    }

    // a file as the first format wrote it, built here byte by byte from the format's description
    private static byte[] FormatOneFile(FoldKey key, byte[] payload)
    {
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(1);
            w.Write(key.PlanHash);
            w.Write(key.ParametersHash);
            w.Write(key.DataHash);
            w.Write(key.Model);
            w.Write(key.Fold);
            w.Write(key.TrainFirstMs);
            w.Write(key.TrainLastMs);
            w.Write((long)payload.Length);
            w.Write(payload);
        }
        var content = body.ToArray();
        var sum = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(sum, XxHash64.Hash(content));
        return [.. "SLFOLD\r\n"u8, .. content, .. sum];
    }

    [Fact]
    public void A_format_1_file_still_reads_and_lists_without_the_strategy_and_test_range_it_does_not_record()
    {
        var store = new ModelStore(_folder);
        var path = store.PathOf(Key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, FormatOneFile(Key, Payload));
        Assert.Equal(Payload, store.TryLoad(Key, out var refusal)?.Payload);
        Assert.Null(refusal);
        Assert.Null(store.TryLoad(Key with { DataHash = 23 }, out var other));
        Assert.Contains("other data", other);
        var plan = Assert.Single(store.Plans());
        Assert.Null(plan.Strategy);
        var fold = Assert.Single(plan.Folds);
        Assert.Equal((1, "m", 3, 1_700_000_000_000L), (fold.Version, fold.Model, fold.Fold, fold.TrainLastMs));
        Assert.Null(fold.TestFirstMs);
        Assert.Null(fold.Strategy);
    }

    [Fact]
    public void A_file_of_a_later_format_is_refused_naming_the_versions()
    {
        var store = new ModelStore(_folder);
        store.Save(Key, Payload);
        var path = store.PathOf(Key);
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), 3);
        File.WriteAllBytes(path, bytes);
        Assert.Null(store.TryLoad(Key, out var refusal));
        Assert.EndsWith("has format version 3; this build reads versions 1 to 2", refusal);
    }

    [Fact]
    public void A_plan_that_a_training_holds_is_not_pruned_and_names_the_training()
    {
        var store = new ModelStore(_folder);
        store.Save(Key, Payload);
        using (var training = store.Lock(Key.PlanHash, "momentum_ridge"))
        {
            var plan = Assert.Single(store.Plans());
            Assert.Equal((LockKind.Held, "momentum_ridge", Environment.ProcessId), (plan.Lock.Kind, plan.Lock.Strategy, plan.Lock.Process));
            Assert.NotNull(plan.Lock.Since);
            foreach (var dryRun in new[] { true, false })
            {
                var result = store.Prune([], dryRun);
                Assert.Empty(result.Deleted);
                Assert.Equal(LockKind.Held, Assert.Single(result.InUse).Lock.Kind);
                Assert.Equal(Payload, store.TryLoad(Key, out _)?.Payload);
            }
        }
        // let go: the lock no longer names a process, and the plan goes
        Assert.Equal((LockKind.Free, "momentum_ridge", (int?)null), (store.Plans()[0].Lock.Kind, store.Plans()[0].Lock.Strategy, store.Plans()[0].Lock.Process));
        Assert.Equal("aaaaaaaaaaaaaaaa", Assert.Single(store.Prune([]).Deleted).Name);
        Assert.False(Directory.Exists(store.PlanFolder(Key.PlanHash)));
    }

    [Fact]
    public void Trainings_share_a_plans_lock_and_the_last_to_let_go_releases_it()
    {
        var store = new ModelStore(_folder);
        var first = store.Lock(Key.PlanHash, "s");
        using (store.Lock(Key.PlanHash, "s"))
        {
            first.Dispose();
            Assert.Equal(LockKind.Held, store.Plans()[0].Lock.Kind);
            Assert.Empty(store.Prune([]).Deleted);
        }
        Assert.Equal(LockKind.Free, store.Plans()[0].Lock.Kind);
    }

    [Fact]
    public void A_lock_that_names_a_process_but_that_nobody_holds_is_stale_and_does_not_stop_a_prune()
    {
        var store = new ModelStore(_folder);
        store.Save(Key, Payload);
        // what a training that was killed leaves: its signature, and no process holding the file
        var lockFile = Path.Combine(store.PlanFolder(Key.PlanHash), ".lock");
        File.WriteAllText(lockFile, "strategy momentum_ridge\nprocess 4242\nsince 2026-12-01T10:00:00.0000000+00:00\n");
        var plan = Assert.Single(store.Plans());
        Assert.Equal((LockKind.Stale, 4242), (plan.Lock.Kind, plan.Lock.Process));
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero), plan.Lock.Since);
        var pruned = store.Prune([]);
        Assert.Equal(LockKind.Stale, Assert.Single(pruned.Deleted).Lock.Kind);
        Assert.False(Directory.Exists(store.PlanFolder(Key.PlanHash)));
    }

    [Fact]
    public void A_training_whose_lock_file_was_deleted_while_it_waited_takes_the_new_one()
    {
        var path = Path.Combine(_folder, "x.lock");
        Directory.CreateDirectory(_folder);
        using var old = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
        Assert.True(TrainingLock.StillNamed(old, path));
        File.Delete(path);
        Assert.False(TrainingLock.StillNamed(old, path));
        File.WriteAllText(path, "");
        // a new file under the same name is not the one the handle holds
        Assert.Equal(!OperatingSystem.IsLinux(), TrainingLock.StillNamed(old, path));
    }

    [Fact]
    public void A_folder_where_the_store_keeps_a_file_is_a_clear_error_and_is_left_alone()
    {
        var store = new ModelStore(_folder);
        var path = store.PathOf(Key);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "mine.txt"), "kept");
        var read = Assert.Throws<ModelStoreException>(() => store.TryLoad(Key, out _));
        Assert.Equal($"{path} is a folder, where the model store keeps a fold model file; move or delete the folder", read.Message);
        var write = Assert.Throws<ModelStoreException>(() => store.Save(Key, Payload));
        Assert.StartsWith($"{path} is a folder", write.Message);
        Assert.Equal("kept", File.ReadAllText(Path.Combine(path, "mine.txt")));

        var lockFolder = Path.Combine(store.PlanFolder(Key.PlanHash), ".lock");
        Directory.CreateDirectory(lockFolder);
        Assert.StartsWith($"{lockFolder} is a folder", Assert.Throws<ModelStoreException>(() => store.Lock(Key.PlanHash, "s")).Message);
        Assert.StartsWith($"{lockFolder} is a folder", Assert.Throws<ModelStoreException>(() => store.Prune([])).Message);
    }

    [Fact]
    public void A_file_where_the_store_keeps_a_folder_is_a_clear_error_and_is_left_alone()
    {
        var store = new ModelStore(_folder);
        var modelFolder = Path.GetDirectoryName(store.PathOf(Key))!;
        Directory.CreateDirectory(Path.GetDirectoryName(modelFolder)!);
        File.WriteAllText(modelFolder, "kept");
        var e = Assert.Throws<ModelStoreException>(() => store.Save(Key, Payload));
        Assert.Equal($"{modelFolder} is a file, where the model store needs a folder; move or delete the file", e.Message);
        Assert.Equal("kept", File.ReadAllText(modelFolder));
    }

    [Fact]
    public void A_folds_test_predictions_read_back_with_the_hash_of_their_inputs()
    {
        var store = new ModelStore(_folder);
        double[] values = [0.25, double.NaN, -1e300, 0.5];
        store.Save(Key, Payload, new FoldPredictions(77, values));
        var stored = store.TryLoad(Key, out var refusal);
        Assert.Null(refusal);
        Assert.Equal(Payload, stored!.Payload);
        Assert.Equal(77UL, stored.Predictions!.InputsHash);
        Assert.Equal(values, stored.Predictions.Values);
        // 8 magic + the header + 9 payload bytes + flag, hash, count, 4 values + checksum
        var file = File.ReadAllBytes(store.PathOf(Key));
        Assert.Equal(1, file[^53]);
        Assert.Equal(4, BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(file.Length - 8 - 32 - 4)));
        Assert.Equal(0.25, BinaryPrimitives.ReadDoubleLittleEndian(file.AsSpan(file.Length - 8 - 32)));
        store.Save(Key, Payload);
        Assert.Null(store.TryLoad(Key, out _)!.Predictions);
    }

    [Fact]
    public void Predictions_cut_short_or_with_a_bad_count_or_flag_are_refused()
    {
        var store = new ModelStore(_folder);
        store.Save(Key, Payload, new FoldPredictions(77, [1, 2, 3]));
        var path = store.PathOf(Key);
        var good = File.ReadAllBytes(path);
        var countAt = good.Length - 8 - 24 - 4;
        foreach (var (count, reason) in new[] { (-1, "prediction count is negative"), (4, "truncated"), (int.MaxValue, "truncated"), (2, "bytes follow its checksum") })
        {
            var bad = (byte[])good.Clone();
            BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(countAt), count);
            File.WriteAllBytes(path, bad);
            Assert.Null(store.TryLoad(Key, out var refusal));
            Assert.Contains(reason, refusal);
        }
        var flag = (byte[])good.Clone();
        flag[countAt - 9] = 2;
        File.WriteAllBytes(path, flag);
        Assert.Null(store.TryLoad(Key, out var flagged));
        Assert.Contains("predictions flag", flagged);
        for (var cut = 1; cut < 8 + 24 + 4 + 8 + 2; cut++)
        {
            File.WriteAllBytes(path, good[..^cut]);
            Assert.Null(store.TryLoad(Key, out var refusal));
            Assert.Contains("truncated", refusal);
        }
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
