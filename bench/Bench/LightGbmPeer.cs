using System.Runtime.InteropServices;
using StrategyLab.Runtime.Models.Gbdt;

namespace StrategyLab.Bench;

/// <summary>
/// LightGBM (the native library of the LightGBM package, through its C API) trained in this process on
/// the benchmark's rows with the settings of a <see cref="GbdtOptions"/>, as the second peer of the
/// GBDT benchmark. Bin bounds come from every training row (bin_construct_sample_cnt = rows), as
/// StrategyLab's do; LightGBM's own rules without a StrategyLab setting (min_data_in_bin 3) keep
/// their defaults.
/// </summary>
internal static partial class LightGbmPeer
{
    private const string Library = "lib_lightgbm";
    private const int Float32 = 0;
    private const int Float64 = 1;
    private const int PredictNormal = 0;

    /// <summary>
    /// Trains on the row-major <paramref name="train"/> rows and returns the predictions for the <paramref name="test"/>
    /// rows; the training time includes building LightGBM's dataset (its binning). Calls <paramref name="trained"/> when training ends.
    /// </summary>
    internal static double[] TrainAndPredict(ReadOnlySpan<double> train, ReadOnlySpan<double> labels, ReadOnlySpan<double> test, int features, GbdtOptions o, Action trained, out TimeSpan trainTime, out TimeSpan predictTime)
    {
        var rows = labels.Length;
        var parameters = Parameters(o, rows);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Check(DatasetCreateFromMat(in MemoryMarshal.GetReference(train), Float64, rows, features, 1, parameters, 0, out var dataset));
        try
        {
            // LightGBM takes float32 labels
            var label = new float[rows];
            for (var i = 0; i < rows; i++)
                label[i] = (float)labels[i];
            Check(DatasetSetField(dataset, "label", in label[0], rows, Float32));
            Check(BoosterCreate(dataset, parameters, out var booster));
            try
            {
                for (var round = 0; round < o.Rounds; round++)
                {
                    Check(BoosterUpdateOneIter(booster, out var finished));
                    if (finished != 0)
                        break;
                }
                clock.Stop();
                trainTime = clock.Elapsed;
                trained();
                var testRows = test.Length / features;
                var output = new double[testRows];
                clock.Restart();
                Check(BoosterPredictForMat(booster, in MemoryMarshal.GetReference(test), Float64, testRows, features, 1, PredictNormal, 0, -1, $"num_threads={o.Threads}", out var written, ref output[0]));
                clock.Stop();
                predictTime = clock.Elapsed;
                if (written != testRows)
                    throw new InvalidOperationException($"LightGBM wrote {written} predictions; expected {testRows}");
                return output;
            }
            finally
            {
                _ = BoosterFree(booster);
            }
        }
        finally
        {
            _ = DatasetFree(dataset);
        }
    }

    /// <summary>LightGBM's names for the benchmark's settings.</summary>
    internal static string Parameters(GbdtOptions o, int rows)
    {
        var objective = o.Objective == GbdtObjective.Binary ? "binary" : "regression";
        return string.Join(' ', new[]
        {
            $"objective={objective}",
            $"learning_rate={o.LearningRate}",
            $"num_leaves={o.NumLeaves}",
            $"max_depth={(o.MaxDepth > 0 ? o.MaxDepth : -1)}",
            $"min_data_in_leaf={o.MinDataInLeaf}",
            $"min_sum_hessian_in_leaf={o.MinSumHessianInLeaf}",
            $"lambda_l2={o.Lambda}",
            $"min_gain_to_split={o.MinGainToSplit}",
            $"max_bin={o.MaxBins}",
            $"bin_construct_sample_cnt={rows}",
            $"num_threads={o.Threads}",
            $"seed={o.Seed}",
            "deterministic=true",
            "force_col_wise=true",
            "verbosity=-1",
        });
    }

    private static void Check(int result)
    {
        if (result != 0)
            throw new InvalidOperationException("LightGBM: " + Marshal.PtrToStringUTF8(GetLastError()));
    }

    [LibraryImport(Library, EntryPoint = "LGBM_GetLastError")]
    private static partial nint GetLastError();

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetCreateFromMat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int DatasetCreateFromMat(in double data, int dataType, int rows, int columns, int rowMajor, string parameters, nint reference, out nint dataset);

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetSetField", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int DatasetSetField(nint dataset, string field, in float data, int count, int type);

    [LibraryImport(Library, EntryPoint = "LGBM_DatasetFree")]
    private static partial int DatasetFree(nint dataset);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterCreate", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int BoosterCreate(nint dataset, string parameters, out nint booster);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterUpdateOneIter")]
    private static partial int BoosterUpdateOneIter(nint booster, out int finished);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterPredictForMat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int BoosterPredictForMat(nint booster, in double data, int dataType, int rows, int columns, int rowMajor, int predictType, int startIteration, int iterations, string parameters, out long written, ref double output);

    [LibraryImport(Library, EntryPoint = "LGBM_BoosterFree")]
    private static partial int BoosterFree(nint booster);
}
