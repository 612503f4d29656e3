using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Caseline.Server.Log;
using Caseline.Server.Storage;

namespace Caseline.Server.Operations;

/// <summary>
/// The <c>Caseline</c> meter and activity source. Every tag is an agency's name, a section's name, an
/// endpoint's id or an outcome class: never a client's identifier, name, date or address.
/// </summary>
internal sealed class CaselineTelemetry
{
    public const string Name = "Caseline";

    /// <summary>Spans: a write unit (child of the request that queued it), and each delivery attempt (linked to the unit that wrote its message).</summary>
    public static readonly ActivitySource Source = new(Name);

    private readonly Counter<long> _appended;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _commitDuration;
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _deliveryLatency;
    private readonly UpDownCounter<long> _feedWaiters;
    private readonly Counter<long> _syncProfiles;
    private readonly ConcurrentDictionary<long, string> _agencies = new();
    private readonly Database _database;
    private readonly TimeProvider _clock;
    private (DateTimeOffset At, List<(string Endpoint, long Backlog, DateTimeOffset? Oldest)> Rows) _backlog = (DateTimeOffset.MinValue, []);

    public CaselineTelemetry(IMeterFactory meters, Database database, TimeProvider clock)
    {
        _database = database;
        _clock = clock;
        var meter = meters.Create(Name);
        _appended = meter.CreateCounter<long>("caseline.messages.appended", "{message}", "Messages appended to the log, by agency and section");
        _batchSize = meter.CreateHistogram<int>("caseline.write.batch.size", "{unit}", "Units of work committed together in one transaction",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        _commitDuration = meter.CreateHistogram<double>("caseline.write.commit.duration", "s", "From a batch's first statement to its durable commit");
        _attempts = meter.CreateCounter<long>("caseline.delivery.attempts", "{attempt}", "Webhook delivery attempts, by outcome (2xx, 3xx, 4xx, 5xx, timeout, error)");
        _deliveryLatency = meter.CreateHistogram<double>("caseline.delivery.latency", "s", "From a message's commit to its endpoint's 2xx",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 1800, 7200, 36000] });
        _feedWaiters = meter.CreateUpDownCounter<long>("caseline.feed.waiters", "{request}", "Feed reads holding a long poll open");
        _syncProfiles = meter.CreateCounter<long>("caseline.sync.profiles", "{profile}", "Bulk sync profiles processed (its rate is the job's items per second)");
        meter.CreateObservableGauge("caseline.webhook.backlog", () => Backlog().Select(r => new Measurement<long>(r.Backlog, new KeyValuePair<string, object?>("endpoint", r.Endpoint))),
            "{delivery}", "Open deliveries per endpoint");
        meter.CreateObservableGauge("caseline.webhook.oldest_undelivered.age", () => Backlog().Where(r => r.Oldest is not null)
            .Select(r => new Measurement<double>((_clock.GetUtcNow() - r.Oldest!.Value).TotalSeconds, new KeyValuePair<string, object?>("endpoint", r.Endpoint))),
            "s", "Age of each endpoint's oldest open delivery");
    }

    public void Committed(int units, TimeSpan duration, List<AppendedMessage> appended)
    {
        _batchSize.Record(units);
        _commitDuration.Record(duration.TotalSeconds);
        foreach (var message in appended)
        {
            _appended.Add(1, new KeyValuePair<string, object?>("agency", AgencyName(message.Agency)), new KeyValuePair<string, object?>("sub_type", message.SubType));
        }
    }

    public void Attempted(int? status, bool timedOut, TimeSpan? sinceCommit)
    {
        var outcome = status switch
        {
            >= 200 and < 300 => "2xx",
            >= 300 and < 400 => "3xx",
            >= 400 and < 500 => "4xx",
            >= 500 => "5xx",
            _ => timedOut ? "timeout" : "error",
        };
        _attempts.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        if (outcome == "2xx" && sinceCommit is { } latency)
        {
            _deliveryLatency.Record(Math.Max(0, latency.TotalSeconds));
        }
    }

    public void FeedWaiting(int change) => _feedWaiters.Add(change);

    public void SyncProcessed(long profiles) => _syncProfiles.Add(profiles);

    private string AgencyName(long id) => _agencies.GetOrAdd(id, static (agency, database) =>
        database.Identity.AgencyName(agency) ?? agency.ToString(System.Globalization.CultureInfo.InvariantCulture), _database);

    /// <summary>Every endpoint's open deliveries (0 too, so the series exists); one read serves both gauges of a collection.</summary>
    private List<(string Endpoint, long Backlog, DateTimeOffset? Oldest)> Backlog()
    {
        var now = _clock.GetUtcNow();
        var cached = _backlog;
        if (now - cached.At < TimeSpan.FromSeconds(1))
        {
            return cached.Rows;
        }

        var rows = _database.Deliveries.Backlog().Select(r => (r.EndpointId, r.Open, r.Oldest)).ToList();
        _backlog = (now, rows);
        return rows;
    }
}
