namespace StrategyLab.Runtime.Models.Lstm;

/// <summary>One named parameter tensor inside the flat parameter vector.</summary>
/// <param name="Name">e.g. <c>lstm1.weight_hh</c>, <c>head.dense.bias</c>.</param>
/// <param name="Offset">First element in the flat vector.</param>
/// <param name="Rows">Rows of the tensor as stored (row-major).</param>
/// <param name="Columns">Columns of the tensor as stored.</param>
public readonly record struct LstmTensor(string Name, int Offset, int Rows, int Columns)
{
    /// <summary>Elements in the tensor.</summary>
    public int Length => Rows * Columns;
}

/// <summary>
/// Where each tensor lives in the flat parameter vector. Per LSTM layer l: the input weights
/// [inputs × 4·hidden] and recurrent weights [hidden × 4·hidden], stored transposed relative to
/// PyTorch's <c>weight_ih_l</c> / <c>weight_hh_l</c> with the same gate blocks i, f, g, o; one bias
/// [4·hidden] (PyTorch's b_ih + b_hh); batch-norm scale and shift [hidden]. Then the head: dense
/// weights [hidden × units] and bias, output weights [in × outputs] and bias.
/// </summary>
internal sealed class LstmLayout
{
    public readonly int[] InputWeights, RecurrentWeights, Bias, Gamma, Beta;
    public readonly int DenseWeights, DenseBias, OutputWeights, OutputBias;
    public readonly int Count;
    public readonly IReadOnlyList<LstmTensor> Tensors;

    public LstmLayout(LstmOptions o)
    {
        int h = o.Hidden, g = 4 * h, layers = o.Layers;
        InputWeights = new int[layers];
        RecurrentWeights = new int[layers];
        Bias = new int[layers];
        Gamma = new int[layers];
        Beta = new int[layers];
        var tensors = new List<LstmTensor>();
        var at = 0;
        int Add(string name, int rows, int columns)
        {
            var offset = at;
            tensors.Add(new LstmTensor(name, offset, rows, columns));
            at += rows * columns;
            return offset;
        }
        for (var l = 0; l < layers; l++)
        {
            var inputs = l == 0 ? o.Features : h;
            InputWeights[l] = Add($"lstm{l}.weight_ih", inputs, g);
            RecurrentWeights[l] = Add($"lstm{l}.weight_hh", h, g);
            Bias[l] = Add($"lstm{l}.bias", 1, g);
            Gamma[l] = o.BatchNorm ? Add($"batchnorm{l}.weight", 1, h) : -1;
            Beta[l] = o.BatchNorm ? Add($"batchnorm{l}.bias", 1, h) : -1;
        }
        var headIn = h;
        DenseWeights = DenseBias = -1;
        if (o.DenseUnits > 0)
        {
            DenseWeights = Add("head.dense.weight", h, o.DenseUnits);
            DenseBias = Add("head.dense.bias", 1, o.DenseUnits);
            headIn = o.DenseUnits;
        }
        OutputWeights = Add("head.output.weight", headIn, o.Outputs);
        OutputBias = Add("head.output.bias", 1, o.Outputs);
        Count = at;
        Tensors = tensors;
    }
}
