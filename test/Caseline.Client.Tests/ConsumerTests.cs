using System.Collections.Concurrent;
using Caseline.Client.Consumer;
using Caseline.Messages;
using Caseline.Server.Tests;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Caseline.Client.Tests;

/// <summary>The feed consumer against the real server: checkpoints, retries, parking, effectively-once, restarts.</summary>
public sealed class ConsumerTests(CaselineServer server) : IClassFixture<CaselineServer>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _folder = Directory.CreateTempSubdirectory("caseline-consumer-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private ICheckpointStore Store(string kind) => kind == "file"
        ? new FileCheckpointStore(Path.Combine(_folder, "checkpoints"))
        : new SqliteCheckpointStore($"Data Source={Path.Combine(_folder, "cms.db")}");

    private static async Task Write(CaselineClient sdk, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            await sdk.PutItemAsync("EX1", new AddressDetails($"A{i}", "Home", $"{i} Main St"), Ct);
        }
    }

    /// <summary>The consumer's checkpoint. A stop between a handler's success and its checkpoint's commit leaves the message to be handled again, so tests wait for both.</summary>
    private static long Checkpoint(TransmitConsumerOptions options) => options.Checkpoints!.GetPositionAsync(options.Name, Ct).GetAwaiter().GetResult();

    /// <summary>Runs a consumer until <paramref name="done"/> holds, then stops it.</summary>
    private static async Task RunUntil(TransmitConsumer consumer, Func<bool> done)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = consumer.RunAsync(stop.Token);
        await Sdk.Until(() => done() || running.IsCompleted, "the consumer to handle the messages");
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task The_feed_head_gives_a_consumer_its_lag()
    {
        using var sdk = await Sdk.For(server, CaselineServer.NewAgency());
        await sdk.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
        await Write(sdk, 0, 5);
        var options = new TransmitConsumerOptions { Name = "lagging", Checkpoints = Store("file") };
        await options.Checkpoints.ResetAsync("lagging", 2, Ct);

        var head = await sdk.GetFeedHeadAsync(Ct);

        Assert.Equal(6, head.Position);
        Assert.Equal(4, head.Position - await options.Checkpoints.GetPositionAsync("lagging", Ct));
        Assert.InRange(head.At, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        (options.Checkpoints as IDisposable)?.Dispose();
    }

    [Theory]
    [InlineData("file")]
    [InlineData("sqlite")]
    public async Task A_restarted_consumer_resumes_exactly_after_its_checkpoint(string kind)
    {
        using var sdk = await Sdk.For(server, CaselineServer.NewAgency());
        await sdk.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
        await Write(sdk, 0, 9);
        var handler = new RecordingHandler();
        var options = new TransmitConsumerOptions { Name = "cms", Checkpoints = Store(kind), Feed = new FeedReadOptions { PageSize = 4, Wait = TimeSpan.FromSeconds(1) } };

        await RunUntil(new TransmitConsumer(sdk, handler, options), () => handler.Positions.Count == 10 && Checkpoint(options) == 10);
        Assert.Equal(10, await options.Checkpoints.GetPositionAsync("cms", Ct));
        await Write(sdk, 9, 5);
        options.Checkpoints = Store(kind);
        await RunUntil(new TransmitConsumer(sdk, handler, options), () => handler.Positions.Count == 15 && Checkpoint(options) == 15);

        Assert.Equal(Enumerable.Range(1, 15).Select(p => (long)p), handler.Positions);
        (options.Checkpoints as IDisposable)?.Dispose();
    }

    [Theory]
    [InlineData("file")]
    [InlineData("sqlite")]
    public async Task A_message_that_keeps_failing_is_parked_the_rest_moves_on_and_it_replays_once_fixed(string kind)
    {
        using var sdk = await Sdk.For(server, CaselineServer.NewAgency());
        await sdk.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
        await Write(sdk, 0, 4);
        var handler = new RecordingHandler { Fail = (item, _) => item.Position == 3 };
        var options = new TransmitConsumerOptions { Name = "cms", Checkpoints = Store(kind), MaxAttempts = 3, RetryDelay = TimeSpan.FromMilliseconds(10) };
        var consumer = new TransmitConsumer(sdk, handler, options);

        await RunUntil(consumer, () => handler.Positions.Count == 4 && Checkpoint(options) == 5);

        Assert.Equal([1L, 2L, 4L, 5L], handler.Positions);
        Assert.Equal(3, handler.Attempts.Count(a => a == 3));
        var parked = Assert.Single(await options.Checkpoints.GetParkedAsync("cms", Ct));
        Assert.Equal(3, parked.Position);
        Assert.Contains("InvalidOperationException", parked.Reason, StringComparison.Ordinal);
        Assert.Equal(5, await options.Checkpoints.GetPositionAsync("cms", Ct));

        handler.Fail = (_, _) => false;
        Assert.Equal(1, await consumer.ReplayParkedAsync(Ct));
        Assert.Equal([1L, 2L, 4L, 5L, 3L], handler.Positions);
        Assert.Empty(await options.Checkpoints.GetParkedAsync("cms", Ct));
        Assert.Equal(5, await options.Checkpoints.GetPositionAsync("cms", Ct));
        (options.Checkpoints as IDisposable)?.Dispose();
    }

    [Fact]
    public async Task A_handler_that_fails_twice_is_retried_and_nothing_after_it_is_handled_first()
    {
        using var sdk = await Sdk.For(server, CaselineServer.NewAgency());
        await sdk.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
        await Write(sdk, 0, 3);
        var handler = new RecordingHandler { Fail = (item, attempt) => item.Position == 2 && attempt < 3 };
        using var store = new FileCheckpointStore(_folder);

        await RunUntil(new TransmitConsumer(sdk, handler, new() { Checkpoints = store, RetryDelay = TimeSpan.FromMilliseconds(10) }), () => handler.Positions.Count == 4);

        Assert.Equal([1L, 2L, 3L, 4L], handler.Positions);
        Assert.Equal([1L, 2L, 2L, 2L, 3L, 4L], handler.Attempts);
    }

    [Fact]
    public async Task With_the_sqlite_store_the_handlers_writes_commit_with_the_checkpoint_so_each_message_applies_once()
    {
        using var sdk = await Sdk.For(server, CaselineServer.NewAgency());
        await sdk.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
        await Write(sdk, 0, 4);
        var database = $"Data Source={Path.Combine(_folder, "cms.db")}";
        var store = new SqliteCheckpointStore(database);
        using (var cms = new SqliteConnection(database))
        {
            cms.Open();
            using var create = cms.CreateCommand();
            create.CommandText = "CREATE TABLE cms_addresses (position INTEGER NOT NULL, address TEXT)";
            create.ExecuteNonQuery();
        }

        // The handler writes, then fails on its first try at position 3: that write must vanish with the failure.
        var handler = new RecordingHandler
        {
            Apply = context =>
            {
                using var insert = context.Connection!.CreateCommand();
                insert.Transaction = context.Transaction;
                insert.CommandText = "INSERT INTO cms_addresses (position, address) VALUES ($p, $a)";
                insert.Parameters.Add(new SqliteParameter("$p", context.Item.Position));
                insert.Parameters.Add(new SqliteParameter("$a", (context.Message.Details as AddressDetails)?.Address ?? (object)DBNull.Value));
                insert.ExecuteNonQuery();
            },
            Fail = (item, attempt) => item.Position == 3 && attempt == 1,
        };
        var options = new TransmitConsumerOptions { Name = "cms", Checkpoints = store, RetryDelay = TimeSpan.FromMilliseconds(10) };
        await RunUntil(new TransmitConsumer(sdk, handler, options), () => handler.Positions.Count == 5 && Checkpoint(options) == 5);

        // Read it all again from the start: the processed records keep the CMS from applying anything twice.
        await store.ResetAsync("cms", 0, Ct);
        var again = new RecordingHandler { Apply = handler.Apply };
        await RunUntil(new TransmitConsumer(sdk, again, options), () => store.GetPositionAsync("cms", Ct).Result == 5);

        Assert.Empty(again.Positions);
        using var connection = new SqliteConnection(database);
        connection.Open();
        using var rows = connection.CreateCommand();
        rows.CommandText = "SELECT position FROM cms_addresses ORDER BY position";
        using var reader = rows.ExecuteReader();
        var positions = new List<long>();
        while (reader.Read())
        {
            positions.Add(reader.GetInt64(0));
        }

        Assert.Equal([1L, 2L, 3L, 4L, 5L], positions);
    }

    [Fact]
    public async Task The_hosted_consumer_survives_a_server_restart_and_goes_on_where_it_was()
    {
        var agency = CaselineServer.NewAgency();
        var first = CaselineServer.With();
        first.DeleteDataOnDispose = false;
        var data = first.DataDirectory;
        var url = first.Url;
        using (var writer = await Sdk.For(first, agency))
        {
            await writer.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
            await Write(writer, 0, 4);
        }

        var recorder = new RecordingHandler();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(recorder);
        builder.Services.AddCaselineClient(o =>
        {
            o.BaseAddress = url;
            o.Credentials = CaselineCredentials.Password("caseline", null, CaselineServer.Login(agency), CaselineServer.Password);
            o.MaxAttempts = 2;
        });
        builder.Services.AddTransmitConsumer<HostedHandler>(o =>
        {
            o.Name = "cms";
            o.Checkpoints = new FileCheckpointStore(_folder);
            o.Feed = new FeedReadOptions { Wait = TimeSpan.FromSeconds(1) };
            o.MaxReconnectDelay = TimeSpan.FromMilliseconds(500);
        });
        using var host = builder.Build();
        await host.StartAsync(Ct);
        await Sdk.Until(() => recorder.Positions.Count == 5, "the first five messages");

        await first.DisposeAsync();
        await Task.Delay(1500, Ct); // the consumer's long poll fails and it retries against nothing
        await using var second = CaselineServer.OnData(data, url.Port);
        using (var writer = await Sdk.For(second, agency))
        {
            await Write(writer, 4, 3);
        }

        await Sdk.Until(() => recorder.Positions.Count == 8, "the messages written after the restart");
        await host.StopAsync(Ct);
        Assert.Equal(Enumerable.Range(1, 8).Select(p => (long)p), recorder.Positions);
    }

    /// <summary>Records what it handled, in order; fails (throws) when told to.</summary>
    internal sealed class RecordingHandler : ITransmitHandler
    {
        public ConcurrentQueue<long> Attempts { get; } = new();

        public List<long> Positions { get; } = [];

        public Func<FeedItem, int, bool> Fail { get; set; } = (_, _) => false;

        public Action<TransmitContext>? Apply { get; init; }

        public Task HandleAsync(TransmitContext context, CancellationToken cancellationToken)
        {
            Attempts.Enqueue(context.Item.Position);
            Apply?.Invoke(context);
            if (Fail(context.Item, context.Attempt))
            {
                throw new InvalidOperationException("The CMS refused it.");
            }

            lock (Positions)
            {
                Positions.Add(context.Item.Position);
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>The handler the host resolves per message, forwarding to the test's recorder.</summary>
    internal sealed class HostedHandler(RecordingHandler recorder) : ITransmitHandler
    {
        public Task HandleAsync(TransmitContext context, CancellationToken cancellationToken) => recorder.HandleAsync(context, cancellationToken);
    }
}
