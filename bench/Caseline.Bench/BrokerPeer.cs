using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Caseline.Bench;

/// <summary>
/// The delivery workload through the broker an agency might pick instead: RabbitMQ from Debian's
/// package, a durable topic exchange bound to a durable queue, the same messages published persistent
/// with publisher confirms (signed as Caseline signs them), then one consumer with manual acks that runs
/// the same <see cref="DeliveryCheck"/> as Caseline's webhook receiver. Like Caseline's figure, the rate
/// runs from releasing the durable backlog to the last distinct message received.
/// </summary>
public static class BrokerPeer
{
    /// <summary>Publishing channels; a client's messages always go through the same one, so its order holds.</summary>
    private const int Lanes = 64;

    private const ushort Prefetch = 1_000;

    public static async Task<IReadOnlyList<Row>> RunAsync(IReadOnlyList<(string ClientId, string ActivityId, byte[] Body)> messages, double caselineRate, TimeSpan deadline)
    {
        var executable = PeerProcess.Find("/usr/lib/rabbitmq/bin/rabbitmq-server");
        if (executable is null)
        {
            Console.WriteLine("   RabbitMQ is not installed (apt-get install -y rabbitmq-server): broker peer skipped");
            return [new Row("broker peer", "RabbitMQ not installed, skipped", 0, "", Target: "ratio ≥ 1.0")];
        }

        await using var rabbit = await StartAsync(executable);
        var factory = new ConnectionFactory { HostName = "127.0.0.1", Port = rabbit.Port };
        await using var connection = await factory.CreateConnectionAsync();
        await using (var setup = await connection.CreateChannelAsync())
        {
            await setup.ExchangeDeclareAsync("caseline", ExchangeType.Topic, durable: true, autoDelete: false);
            await setup.QueueDeclareAsync("cms", durable: true, exclusive: false, autoDelete: false);
            await setup.QueueBindAsync("cms", "caseline", "client.#");
        }

        var key = RandomNumberGenerator.GetBytes(32);
        // Bounded like every other loop of the bench: a stalled broker fails the run instead of hanging it.
        using var bound = new CancellationTokenSource(deadline * 2);
        var published = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Lanes).Select(lane => PublishAsync(connection, key, messages.Where(m => Lane(m.ClientId) == lane), bound.Token)));
        var publishRate = messages.Count / published.Elapsed.TotalSeconds;

        var check = new DeliveryCheck(key);
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, Prefetch, global: false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var headers = delivery.BasicProperties.Headers!;
            if (check.Accept(delivery.BasicProperties.MessageId!, Text(headers["webhook-timestamp"]), Text(headers["webhook-signature"]), delivery.Body.Span))
            {
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            }
            else
            {
                await channel.BasicRejectAsync(delivery.DeliveryTag, requeue: false);
            }

            if (check.Distinct >= messages.Count)
            {
                all.TrySetResult();
            }
        };
        var stopwatch = Stopwatch.StartNew();
        await channel.BasicConsumeAsync("cms", autoAck: false, consumer);
        await Task.WhenAny(all.Task, Task.Delay(deadline));
        var rate = check.Distinct / stopwatch.Elapsed.TotalSeconds;
        Console.WriteLine($"   RabbitMQ: published {messages.Count:#,0} (persistent, confirmed) at {publishRate:#,0}/s; consumed {check.Distinct:#,0} with manual acks at {rate:#,0} msg/s; out of order {check.OutOfOrder}");
        return
        [
            new Row("broker peer", $"Caseline delivery vs RabbitMQ consumer (manual acks, {messages.Count:#,0} persistent messages)", caselineRate, "msg/s", rate, "ratio ≥ 1.0", caselineRate / rate >= 1.0),
            new Row("broker peer", "RabbitMQ publish rate with confirms (backlog building, not compared)", publishRate, "msg/s"),
        ];
    }

    private static int Lane(string clientId) => (int)((uint)StringComparer.Ordinal.GetHashCode(clientId) % Lanes);

    private static async Task PublishAsync(IConnection connection, byte[] key, IEnumerable<(string ClientId, string ActivityId, byte[] Body)> messages, CancellationToken ct)
    {
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        foreach (var (clientId, activityId, body) in messages)
        {
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var properties = new BasicProperties
            {
                Persistent = true,
                MessageId = activityId,
                ContentType = "application/json",
                Headers = new Dictionary<string, object?>
                {
                    ["webhook-timestamp"] = timestamp,
                    ["webhook-signature"] = DeliveryCheck.Sign(key, activityId, timestamp, body),
                },
            };

            // With confirmation tracking, this completes when the broker has the message on disk.
            await channel.BasicPublishAsync("caseline", "client." + clientId, mandatory: true, properties, body, ct);
        }
    }

    private static string Text(object? header) => header is byte[] bytes ? Encoding.UTF8.GetString(bytes) : header?.ToString() ?? "";

    /// <summary>A private RabbitMQ node on loopback ports (AMQP, distribution and epmd), its data in a fresh folder.</summary>
    private static async Task<PeerProcess> StartAsync(string executable)
    {
        var directory = Directory.CreateTempSubdirectory("caseline-bench-rabbitmq-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "enabled_plugins"), "[].");
        var (port, epmd) = (PeerProcess.FreePort(), PeerProcess.FreePort().ToString(CultureInfo.InvariantCulture));
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = directory,
            ["RABBITMQ_NODENAME"] = $"caseline-bench-{port}@localhost",
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = PeerProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["ERL_EPMD_PORT"] = epmd,
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(directory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(directory, "log"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(directory, "enabled_plugins"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(directory, "rabbitmq"),
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(directory, "advanced.config"),
        };

        // The node starts its own epmd, which outlives it: stop that one too.
        return await PeerProcess.StartAsync(executable, [], directory, port, environment, afterStop: async () =>
        {
            using var kill = Process.Start(new ProcessStartInfo("epmd", "-kill") { Environment = { ["ERL_EPMD_PORT"] = epmd }, RedirectStandardOutput = true, RedirectStandardError = true });
            if (kill is not null)
            {
                await kill.WaitForExitAsync();
            }
        });
    }
}
