using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Caseline.Messages;
using Caseline.Messages.Json;

namespace Caseline.Bench;

/// <summary>Writing and reading one message (BenchmarkDotNet, in process): time and bytes allocated per operation.</summary>
public static class SerializeScenario
{
    public static Task<IReadOnlyList<Row>> RunAsync(BenchSettings settings)
    {
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default);
        var summary = BenchmarkRunner.Run<MessageBenchmarks>(config);
        IReadOnlyList<Row> rows = [.. summary.Reports.SelectMany(report => new[]
        {
            new Row("serialize", report.BenchmarkCase.Descriptor.WorkloadMethod.Name + " time", report.ResultStatistics?.Mean ?? double.NaN, "ns"),
            new Row("serialize", report.BenchmarkCase.Descriptor.WorkloadMethod.Name + " allocated", report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0, "B"),
        })];
        return Task.FromResult(rows);
    }
}

[MemoryDiagnoser]
public class MessageBenchmarks
{
    private readonly ClientMessage _message = ClientMessage.Create(
        "EX123456",
        new PersonalDetails("Johnathan", "Farmer", new DateOnly(1980, 5, 28), "Mountain Standard Time", "Male", "Caucasian", "High - Violence", "High - Mental Health"),
        ChangeVerb.Updated, DateTimeOffset.UtcNow, "officer@county.org");

    private byte[] _bytes = [];

    [GlobalSetup]
    public void Setup() => _bytes = MessageWriter.ToUtf8Bytes(_message);

    [Benchmark]
    public byte[] Write() => MessageWriter.ToUtf8Bytes(_message);

    [Benchmark]
    public ClientMessage Read() => MessageReader.Read(_bytes);
}
