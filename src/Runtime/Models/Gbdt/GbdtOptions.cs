namespace StrategyLab.Runtime.Models.Gbdt;

/// <summary>The loss a gradient-boosted model minimises, and so what its predictions mean.</summary>
public enum GbdtObjective
{
    /// <summary>Squared error; labels are any finite numbers and predictions are their conditional mean.</summary>
    SquaredError = 0,

    /// <summary>Binary log-loss; labels are 0 or 1 and predictions are the probability of 1.</summary>
    Binary = 1,

    /// <summary>
    /// Softmax log-loss over <see cref="GbdtOptions.ClassCount"/> classes (one tree per class per
    /// round); labels are 0, 1, …, K − 1 and predictions are K probabilities per row.
    /// </summary>
    Multiclass = 2,
}

/// <summary>
/// Settings of a histogram gradient-boosted tree model, named as in LightGBM where one exists.
/// Example: <c>new GbdtOptions { Objective = GbdtObjective.Binary, Rounds = 200, NumLeaves = 63 }</c>.
/// </summary>
public sealed record GbdtOptions
{
    /// <summary>The loss minimised.</summary>
    public GbdtObjective Objective { get; init; } = GbdtObjective.SquaredError;

    /// <summary>Number of classes K for <see cref="GbdtObjective.Multiclass"/>; ignored otherwise.</summary>
    public int ClassCount { get; init; } = 2;

    /// <summary>Boosting rounds (each adds one tree, or K trees for multiclass).</summary>
    public int Rounds { get; init; } = 100;

    /// <summary>Shrinkage applied to every leaf value.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>Maximum leaves per tree; trees grow leaf-wise, always splitting the leaf of largest gain.</summary>
    public int NumLeaves { get; init; } = 31;

    /// <summary>Maximum depth of a leaf (the root has depth 0); 0 or less means unlimited.</summary>
    public int MaxDepth { get; init; }

    /// <summary>Minimum number of training rows in a leaf.</summary>
    public int MinDataInLeaf { get; init; } = 20;

    /// <summary>Minimum sum of hessians in a leaf (XGBoost's min_child_weight).</summary>
    public double MinSumHessianInLeaf { get; init; } = 1e-3;

    /// <summary>L2 regularisation λ of leaf values: a leaf's value is −G / (H + λ) times the learning rate.</summary>
    public double Lambda { get; init; } = 1.0;

    /// <summary>
    /// Minimum loss reduction ½[G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)] for a split to be made.
    /// </summary>
    public double MinGainToSplit { get; init; }

    /// <summary>Fraction of features drawn (seeded) for each tree; 1 uses all.</summary>
    public double FeatureFraction { get; init; } = 1.0;

    /// <summary>Fraction of rows drawn (seeded, each row independently) for each round; 1 uses all.</summary>
    public double BaggingFraction { get; init; } = 1.0;

    /// <summary>
    /// Maximum histogram bins per feature, at most 256; missing values have a bin of their own besides, so a feature
    /// with missing values among the training rows gets at most 255.
    /// </summary>
    public int MaxBins { get; init; } = 255;

    /// <summary>Stop when the validation loss has not improved for this many rounds; 0 disables early stopping.</summary>
    public int EarlyStoppingRounds { get; init; }

    /// <summary>Seed of the feature and row sampling; the same seed gives bit-identical models.</summary>
    public ulong Seed { get; init; }

    /// <summary>Threads used for binning and histograms; the model does not depend on it.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Outputs per row: K for multiclass, otherwise 1.</summary>
    public int OutputCount => Objective == GbdtObjective.Multiclass ? ClassCount : 1;

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first setting out of range.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok)
                throw new ArgumentException(message);
        }
        Require(Enum.IsDefined(Objective), $"unknown objective {(int)Objective}");
        Require(Objective != GbdtObjective.Multiclass || ClassCount >= 2, $"ClassCount must be at least 2 for multiclass, found {ClassCount}");
        Require(Rounds >= 0, $"Rounds must be zero or more, found {Rounds}");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), $"LearningRate must be positive, found {LearningRate}");
        Require(NumLeaves >= 2, $"NumLeaves must be at least 2, found {NumLeaves}");
        Require(MinDataInLeaf >= 1, $"MinDataInLeaf must be at least 1, found {MinDataInLeaf}");
        Require(MinSumHessianInLeaf >= 0, $"MinSumHessianInLeaf must be zero or more, found {MinSumHessianInLeaf}");
        Require(Lambda >= 0 && double.IsFinite(Lambda), $"Lambda must be zero or more, found {Lambda}");
        Require(MinGainToSplit >= 0, $"MinGainToSplit must be zero or more, found {MinGainToSplit}");
        Require(FeatureFraction > 0 && FeatureFraction <= 1, $"FeatureFraction must be in (0, 1], found {FeatureFraction}");
        Require(BaggingFraction > 0 && BaggingFraction <= 1, $"BaggingFraction must be in (0, 1], found {BaggingFraction}");
        Require(MaxBins is >= 2 and <= 256, $"MaxBins must be between 2 and 256, found {MaxBins}");
        Require(EarlyStoppingRounds >= 0, $"EarlyStoppingRounds must be zero or more, found {EarlyStoppingRounds}");
        Require(Threads >= 1, $"Threads must be at least 1, found {Threads}");
    }
}
