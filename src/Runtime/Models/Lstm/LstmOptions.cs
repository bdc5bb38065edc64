namespace StrategyLab.Runtime.Models.Lstm;

/// <summary>What the output layer predicts and which loss trains it.</summary>
public enum LstmTask
{
    /// <summary>One real value; mean squared error.</summary>
    Regression = 0,

    /// <summary>P(target = 1) through a sigmoid; binary cross-entropy. Targets are 0 or 1.</summary>
    Binary = 1,

    /// <summary>
    /// Probabilities of <see cref="LstmOptions.Classes"/> classes through a softmax; cross-entropy.
    /// Targets are class indices 0, 1, …, Classes − 1 stored as doubles.
    /// </summary>
    Multiclass = 2,
}

/// <summary>How Adam applies <see cref="LstmOptions.WeightDecay"/>.</summary>
public enum WeightDecayMode
{
    /// <summary>L2 penalty: λθ is added to the gradient before the moments (PyTorch <c>Adam</c>).</summary>
    L2 = 0,

    /// <summary>Decoupled (Loshchilov and Hutter's AdamW): θ ← θ − lr·λ·θ, outside the moments.</summary>
    Decoupled = 1,
}

/// <summary>How the learning rate moves during training.</summary>
public enum LearningRateSchedule
{
    /// <summary>Constant.</summary>
    Constant = 0,

    /// <summary>Multiplied by <see cref="LstmOptions.StepGamma"/> every <see cref="LstmOptions.StepEpochs"/> epochs.</summary>
    Step = 1,

    /// <summary>Cosine annealing from the initial rate to <see cref="LstmOptions.MinLearningRate"/> over all steps.</summary>
    Cosine = 2,
}

/// <summary>
/// Architecture and training settings of an LSTM model. The defaults are PyTorch's where PyTorch
/// has one (Adam betas 0.9/0.999, eps 1e−8, no weight decay), and the rest give the plain model of
/// the reference measurement: one LSTM layer, the last step's output through dropout into a linear
/// output. Seed 003's network ("freqAI-LSTM") is <c>Layers = 3, Hidden = 128, BatchNorm = true,
/// Dropout = OutputDropout = 0.4, DenseUnits = 36, DenseDropout = 0.5, AlphaDropout = true</c>.
/// </summary>
/// <example>
/// <code>new LstmOptions { Features = 1, Window = 90, Hidden = 25, Epochs = 5, Seed = 42 }</code>
/// </example>
public sealed record LstmOptions
{
    /// <summary>Inputs per time step.</summary>
    public int Features { get; init; } = 1;

    /// <summary>Time steps per sequence (the look-back window).</summary>
    public int Window { get; init; } = 90;

    /// <summary>Hidden units per LSTM layer.</summary>
    public int Hidden { get; init; } = 25;

    /// <summary>Stacked LSTM layers.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Dropout on each LSTM layer's output sequence except the last layer's (PyTorch's <c>nn.LSTM(dropout)</c>).</summary>
    public double Dropout { get; init; }

    /// <summary>Batch normalisation of each LSTM layer's output, per unit over batch and time (PyTorch <c>BatchNorm1d</c> on [batch, hidden, time]).</summary>
    public bool BatchNorm { get; init; }

    /// <summary>Momentum of the batch-norm running statistics used at inference.</summary>
    public double BatchNormMomentum { get; init; } = 0.1;

    /// <summary>Dropout on the last time step's output before the head.</summary>
    public double OutputDropout { get; init; }

    /// <summary>Units of the dense ReLU layer of the head; 0 for none (the last step goes straight to the output layer).</summary>
    public int DenseUnits { get; init; }

    /// <summary>Dropout after the dense ReLU layer.</summary>
    public double DenseDropout { get; init; }

    /// <summary>Use alpha dropout (Klambauer et al. 2017) after the dense layer instead of standard dropout.</summary>
    public bool AlphaDropout { get; init; }

    /// <summary>Output layer and loss.</summary>
    public LstmTask Task { get; init; } = LstmTask.Regression;

    /// <summary>Number of classes for <see cref="LstmTask.Multiclass"/>.</summary>
    public int Classes { get; init; } = 2;

    /// <summary>Adam's initial learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Adam's first-moment decay.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam's second-moment decay.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Adam's denominator guard.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Weight decay λ (0 for none); see <see cref="WeightDecayMode"/>.</summary>
    public double WeightDecay { get; init; }

    /// <summary>How weight decay is applied.</summary>
    public WeightDecayMode WeightDecayMode { get; init; } = WeightDecayMode.Decoupled;

    /// <summary>Sequences per mini-batch; the last batch of an epoch may be smaller.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Passes over the training sequences (ignored when <see cref="Steps"/> is positive).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Optimizer steps to take instead of whole epochs; 0 to train by <see cref="Epochs"/>.</summary>
    public int Steps { get; init; }

    /// <summary>Largest global L2 norm of the gradient; larger gradients are scaled down to it. 0 for no clipping.</summary>
    public double ClipNorm { get; init; }

    /// <summary>Learning-rate schedule.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>Epochs between decays of the step schedule.</summary>
    public int StepEpochs { get; init; } = 10;

    /// <summary>Factor of each decay of the step schedule.</summary>
    public double StepGamma { get; init; } = 0.1;

    /// <summary>Final learning rate of the cosine schedule.</summary>
    public double MinLearningRate { get; init; }

    /// <summary>
    /// Fraction of the sequences, taken from the end (the most recent), held out for early
    /// stopping; 0 for none.
    /// </summary>
    public double ValidationFraction { get; init; }

    /// <summary>Epochs without an improvement of the validation loss before training stops; the best weights are kept.</summary>
    public int Patience { get; init; } = 5;

    /// <summary>Smallest decrease of the validation loss that counts as an improvement.</summary>
    public double MinDelta { get; init; }

    /// <summary>Seed of initialisation, shuffling and dropout.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>
    /// Pieces each mini-batch is split into for parallel forward and backward passes. The result
    /// depends on this number (the order of the gradient sums) but not on how many threads run the
    /// pieces.
    /// </summary>
    public int BatchShards { get; init; } = 2;

    /// <summary>Threads used to train one model (ensemble members each use one); 0 for the processor count.</summary>
    public int Threads { get; init; }

    /// <summary>Output units of the network.</summary>
    public int Outputs => Task == LstmTask.Multiclass ? Classes : 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok)
                throw new ArgumentException(message);
        }
        Require(Features >= 1, $"Features must be at least 1, found {Features}");
        Require(Window >= 1, $"Window must be at least 1, found {Window}");
        Require(Hidden >= 1, $"Hidden must be at least 1, found {Hidden}");
        Require(Layers >= 1, $"Layers must be at least 1, found {Layers}");
        Require(Dropout is >= 0 and < 1, $"Dropout must be in [0, 1), found {Dropout}");
        Require(OutputDropout is >= 0 and < 1, $"OutputDropout must be in [0, 1), found {OutputDropout}");
        Require(DenseDropout is >= 0 and < 1, $"DenseDropout must be in [0, 1), found {DenseDropout}");
        Require(DenseUnits >= 0, $"DenseUnits must not be negative, found {DenseUnits}");
        Require(BatchNormMomentum is > 0 and <= 1, $"BatchNormMomentum must be in (0, 1], found {BatchNormMomentum}");
        Require(Task != LstmTask.Multiclass || Classes >= 2, $"Classes must be at least 2, found {Classes}");
        Require(LearningRate > 0, $"LearningRate must be positive, found {LearningRate}");
        Require(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1, "Beta1 and Beta2 must be in [0, 1)");
        Require(Epsilon > 0, $"Epsilon must be positive, found {Epsilon}");
        Require(WeightDecay >= 0, $"WeightDecay must not be negative, found {WeightDecay}");
        Require(BatchSize >= 1, $"BatchSize must be at least 1, found {BatchSize}");
        Require(Epochs >= 1 || Steps >= 1, "Epochs or Steps must be at least 1");
        Require(Steps >= 0, $"Steps must not be negative, found {Steps}");
        Require(ClipNorm >= 0, $"ClipNorm must not be negative, found {ClipNorm}");
        Require(StepEpochs >= 1, $"StepEpochs must be at least 1, found {StepEpochs}");
        Require(StepGamma > 0, $"StepGamma must be positive, found {StepGamma}");
        Require(MinLearningRate >= 0 && MinLearningRate <= LearningRate, "MinLearningRate must be in [0, LearningRate]");
        Require(ValidationFraction is >= 0 and < 1, $"ValidationFraction must be in [0, 1), found {ValidationFraction}");
        Require(Patience >= 1, $"Patience must be at least 1, found {Patience}");
        Require(BatchShards >= 1, $"BatchShards must be at least 1, found {BatchShards}");
        Require(Threads >= 0, $"Threads must not be negative, found {Threads}");
    }
}
