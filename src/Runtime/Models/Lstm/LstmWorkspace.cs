using System.Numerics;

namespace StrategyLab.Runtime.Models.Lstm;

/// <summary>
/// Every buffer one piece of a mini-batch needs for a forward and backward pass, allocated once
/// for at most <see cref="Capacity"/> sequences. Sequence data is time-major: the rows of time step
/// t are <c>[t · rows, (t + 1) · rows)</c>, so all steps of a layer form one matrix for the input
/// projection and the weight gradients.
/// </summary>
internal sealed class LstmWorkspace<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public readonly int Capacity;

    /// <summary>Layer inputs: [0] the sequences, [l] the (normalised, dropped-out) output of layer l − 1, [L] the top sequence.</summary>
    public readonly T[][] Inputs;

    /// <summary>Gate activations i, f, g, o per step; overwritten by their gradients in the backward pass.</summary>
    public readonly T[][] Gates;

    /// <summary>Hidden states with a zero state at slot 0: [(window + 1) × rows × hidden].</summary>
    public readonly T[][] HiddenStates;

    /// <summary>Cell states with a zero state at slot 0.</summary>
    public readonly T[][] CellStates;

    public readonly T[][] CellTanh;

    /// <summary>Normalised layer outputs (batch norm only).</summary>
    public readonly T[][] Normalised;

    /// <summary>Dropout multipliers (0 or 1 / (1 − p)) between layers.</summary>
    public readonly T[][] LayerMasks;

    public readonly T[] GradientA;
    public readonly T[] GradientB;
    public readonly T[] HiddenGradient;
    public readonly T[] CellGradient;

    public readonly T[] HeadInput;
    public readonly T[] HeadInputMask;
    public readonly T[] DensePre;
    public readonly T[] DenseOut;
    public readonly T[] DenseMask;
    public readonly T[] Output;
    public readonly T[] OutputGradient;
    public readonly T[] DenseGradient;
    public readonly T[] HeadInputGradient;

    public readonly T[] Targets;

    /// <summary>This piece's share of the gradient, laid out like the parameters.</summary>
    public readonly T[] Gradient;

    /// <summary>Per-layer sums over this piece for batch norm: Σy and Σy² forward, Σdu and Σdu·x̂ backward.</summary>
    public readonly double[][] SumA;
    public readonly double[][] SumB;

    public readonly GemmScratch<T> Scratch = new();

    public double LossSum;

    public LstmWorkspace(LstmOptions o, int parameterCount, int capacity, bool training)
    {
        Capacity = capacity;
        int w = o.Window, h = o.Hidden, layers = o.Layers;
        var seq = w * capacity * h;
        Inputs = new T[layers + 1][];
        Gates = new T[layers][];
        HiddenStates = new T[layers][];
        CellStates = new T[layers][];
        CellTanh = new T[layers][];
        Normalised = new T[layers][];
        LayerMasks = new T[layers][];
        SumA = new double[layers][];
        SumB = new double[layers][];
        Inputs[0] = new T[w * capacity * o.Features];
        for (var l = 0; l < layers; l++)
        {
            Inputs[l + 1] = new T[seq];
            Gates[l] = new T[w * capacity * 4 * h];
            HiddenStates[l] = new T[(w + 1) * capacity * h];
            CellStates[l] = new T[(w + 1) * capacity * h];
            CellTanh[l] = new T[seq];
            Normalised[l] = o.BatchNorm ? new T[seq] : [];
            LayerMasks[l] = training && o.Dropout > 0 && l < layers - 1 ? new T[seq] : [];
            SumA[l] = new double[h];
            SumB[l] = new double[h];
        }
        GradientA = training ? new T[seq] : [];
        GradientB = training && layers > 1 ? new T[seq] : [];
        HiddenGradient = training ? new T[capacity * h] : [];
        CellGradient = training ? new T[capacity * h] : [];
        HeadInput = new T[capacity * h];
        HeadInputMask = training ? new T[capacity * h] : [];
        var d = Math.Max(o.DenseUnits, 1);
        DensePre = new T[capacity * d];
        DenseOut = new T[capacity * d];
        DenseMask = training ? new T[capacity * d] : [];
        Output = new T[capacity * o.Outputs];
        OutputGradient = training ? new T[capacity * o.Outputs] : [];
        DenseGradient = training ? new T[capacity * d] : [];
        HeadInputGradient = training ? new T[capacity * h] : [];
        Targets = new T[capacity];
        Gradient = training ? new T[parameterCount] : [];
    }
}
