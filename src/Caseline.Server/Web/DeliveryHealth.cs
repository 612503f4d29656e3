using Caseline.Server.Storage;
using Caseline.Server.Webhooks;

namespace Caseline.Server.Web;

/// <summary>One hour of an endpoint's last day: attempts that succeeded and that failed.</summary>
internal sealed record HourlyDeliveries(DateTimeOffset Hour, int Delivered, int Failed);

/// <summary>An endpoint's health: its last 24 hours and what waits to be sent.</summary>
internal sealed record EndpointHealth(WebhookEndpoint Endpoint, IReadOnlyList<HourlyDeliveries> Hours, IReadOnlyDictionary<string, int> ByState)
{
    public int Backlog => ByState.Where(s => s.Key is DeliveryState.Pending or DeliveryState.Retrying or DeliveryState.InFlight).Sum(s => s.Value);
}

/// <summary>What the Deliveries pages show of an agency's endpoints (what was left of WebQueries once the client reads moved to <see cref="Sync.ClientOperations"/>).</summary>
internal sealed class DeliveryHealth(DeliveryStorage deliveries, TimeProvider clock)
{
    /// <summary>Every endpoint of the agency (or just <paramref name="endpointId"/>) with its last 24 hours, hour by hour, and its deliveries by state.</summary>
    public IReadOnlyList<EndpointHealth> Health(long agencyId, string? endpointId = null)
    {
        var now = clock.GetUtcNow();
        var firstHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(-23);
        var health = new List<EndpointHealth>();
        foreach (var endpoint in deliveries.Endpoints(agencyId, endpointId))
        {
            var hours = Enumerable.Range(0, 24).Select(h => new HourlyDeliveries(firstHour.AddHours(h), 0, 0)).ToArray();
            foreach (var (index, delivered, failed) in deliveries.HourlyAttempts(endpoint.Id, firstHour))
            {
                if (index is >= 0 and < 24)
                {
                    hours[index] = hours[index] with { Delivered = delivered, Failed = failed };
                }
            }

            var byState = DeliveryState.All.ToDictionary(s => s, _ => 0, StringComparer.Ordinal);
            foreach (var (state, count) in deliveries.CountByState(endpoint.Id))
            {
                byState[state] = count;
            }

            health.Add(new EndpointHealth(endpoint, hours, byState));
        }

        return health;
    }

    /// <inheritdoc cref="DeliveryStorage.StreamHeads"/>
    public IReadOnlyDictionary<string, long> StreamHeads(string endpointId, IEnumerable<string> clientIds) => deliveries.StreamHeads(endpointId, clientIds);
}
