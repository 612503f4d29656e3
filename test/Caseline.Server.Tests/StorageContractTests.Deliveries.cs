using Caseline.Messages;
using Caseline.Server.Storage;
using Caseline.Server.Webhooks;

namespace Caseline.Server.Tests;

/// <summary>The delivery storage's operations, on every provider: endpoints, fan-out, leases, outcomes, and putting failures back.</summary>
public abstract partial class StorageContractTests
{
    private DeliveryStorage Deliveries => Database.Deliveries;

    private async Task NewEndpoint(long agency, string id, params string[] subTypes) =>
        await Run(scope =>
        {
            Deliveries.CreateEndpoint(scope, agency, id, "http://127.0.0.1:9/hook", "CMS", subTypes.Length == 0 ? null : subTypes, "protected");
            return 0;
        });

    /// <summary>Each delivery of the endpoint as position:state:head, in position order.</summary>
    private List<string> Streams(string endpoint)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command("SELECT position, state, head FROM deliveries WHERE endpoint_id = @endpoint ORDER BY position", null, ("@endpoint", endpoint));
        using var rows = command.ExecuteReader();
        var found = new List<string>();
        while (rows.Read())
        {
            found.Add($"{rows.GetInt64(0)}:{rows.GetString(1)}:{rows.GetInt64(2)}");
        }

        return found;
    }

    /// <summary>Appends address messages for A, B, A, and a contact message for B (positions 1 to 4).</summary>
    private async Task FourMessages(long agency)
    {
        await Write(agency, w => { w.CreateClient("A"); w.CreateClient("B"); return 0; });
        await Write(agency, w => w.Put("A", new AddressDetails("H", "Home", "1 Main")));
        await Write(agency, w => w.Put("B", new AddressDetails("H", "Home", "2 Main")));
        await Write(agency, w => w.Put("A", new AddressDetails("H", "Home", "3 Main")));
        await Write(agency, w => w.Put("B", new ContactDetails("P", "HomePhone", "555")));
    }

    /// <summary>Fans the endpoint's new messages out as the dispatcher does; returns how many messages it went through.</summary>
    private Task<int> FanOut(string endpoint) => Run(scope =>
    {
        var behind = Deliveries.EndpointsBehind(scope, 250).SingleOrDefault(e => e.Id == endpoint);
        if (behind is null || !Deliveries.TakeFanOut(scope, endpoint, behind.Through))
        {
            return 0;
        }

        Deliveries.InsertDeliveries(scope, endpoint, [.. behind.Messages.Where(m => behind.Wants(m.SubType))]);
        Deliveries.AdvanceFanOut(scope, endpoint, behind.Messages[^1].Position);
        return behind.Messages.Count;
    });

    private Task<List<DueDelivery>> ClaimAndLease(string endpoint, long token) => Run(scope =>
    {
        var due = Deliveries.ClaimDue(scope, endpoint, 10);
        Deliveries.Lease(scope, [.. due.Select(d => (d.Id, token))], scope.Now.AddMinutes(1));
        return due;
    });

    [Fact]
    public async Task An_endpoint_is_created_read_changed_rotated_and_deleted_only_within_its_agency()
    {
        var agency = await NewAgency("owner");
        var other = await NewAgency("other");
        await NewEndpoint(agency, "e", "Address Details");

        var created = Deliveries.FindEndpoint(agency, "e")!;
        Assert.Equal(("http://127.0.0.1:9/hook", "CMS", true), (created.Url, created.Description, created.Enabled));
        Assert.Equal(["Address Details"], created.SubTypes!);
        Assert.Null(created.Secret);
        Assert.Null(Deliveries.FindEndpoint(other, "e"));
        Assert.Equal(["e"], Deliveries.Endpoints(agency).Select(e => e.Id));
        Assert.Empty(Deliveries.Endpoints(other));

        var changes = await Run(scope => (
            Foreign: Deliveries.UpdateEndpoint(scope, other, "e", "http://127.0.0.1:9/x", null, null, false),
            Paused: Deliveries.UpdateEndpoint(scope, agency, "e", "http://127.0.0.1:9/other", null, null, false),
            Seen: Deliveries.FindEndpoint(scope, agency, "e"),
            Rotated: Deliveries.RotateSecret(scope, agency, "e", "newer", scope.Now.AddHours(1)),
            ForeignRotation: Deliveries.RotateSecret(scope, other, "e", "stolen", scope.Now)));
        Assert.Equal((false, true, true, false), (changes.Foreign, changes.Paused, changes.Rotated, changes.ForeignRotation));
        Assert.Equal(("http://127.0.0.1:9/other", false, "Disabled by an administrator"), (changes.Seen!.Url, changes.Seen.Enabled, changes.Seen.DisabledReason));
        Assert.Null(changes.Seen.SubTypes);

        await Run(scope => Deliveries.UpdateEndpoint(scope, agency, "e", "http://127.0.0.1:9/other", "Again", ["Address Details"], true));
        var resumed = Deliveries.FindEndpoint(agency, "e")!;
        Assert.Equal((true, null, "Again"), (resumed.Enabled, resumed.DisabledReason, resumed.Description));

        var deleted = await Run(scope =>
        {
            var foreign = Deliveries.EndpointExists(scope, other, "e");
            Deliveries.DeleteEndpoint(scope, agency, "e");
            return (foreign, Deliveries.EndpointExists(scope, agency, "e"));
        });
        Assert.Equal((false, false), deleted);
        Assert.Null(Deliveries.FindEndpoint(agency, "e"));
    }

    [Fact]
    public async Task Fan_out_creates_one_delivery_per_wanted_message_and_flags_the_first_open_one_of_each_stream_as_head()
    {
        var agency = await NewAgency("fan-out");
        await NewEndpoint(agency, "e", "Address Details");
        await NewEndpoint(agency, "all");
        await FourMessages(agency);

        Assert.Equal(4, await FanOut("e"));
        Assert.Equal(4, await FanOut("all"));
        Assert.Equal(0, await FanOut("e")); // the cursor moved on: nothing is behind

        Assert.Equal(["1:Pending:1", "2:Pending:1", "3:Pending:0"], Streams("e"));
        Assert.Equal(["1:Pending:1", "2:Pending:1", "3:Pending:0", "4:Pending:0"], Streams("all"));

        // A cursor read before another writer moved it is not taken, and a message fanned out twice makes one delivery.
        var again = await Run(scope =>
        {
            var taken = Deliveries.TakeFanOut(scope, "e", 0);
            Deliveries.InsertDeliveries(scope, "e", [new NewMessage(3, "A", "Address Details")]);
            return taken;
        });
        Assert.False(again);
        Assert.Equal(3, Streams("e").Count);

        // A later message of a stream with an open delivery waits behind it.
        await Write(agency, w => w.Put("B", new AddressDetails("H", "Home", "5 Main")));
        await FanOut("e");
        Assert.Equal("5:Pending:0", Streams("e")[^1]);
    }

    [Fact]
    public async Task A_claimed_head_is_leased_and_only_the_answer_under_its_lease_is_recorded_handing_the_head_on()
    {
        var agency = await NewAgency("claims");
        await NewEndpoint(agency, "e", "Address Details");
        await FourMessages(agency);
        await FanOut("e");

        var due = await Run(scope => Deliveries.EndpointsWithDueHeads(scope));
        Assert.Equal(["e"], due);
        var claimed = await ClaimAndLease("e", token: 7);
        Assert.Equal(["A", "B"], claimed.Select(c => c.ClientId));
        Assert.All(claimed, c => Assert.Equal(("http://127.0.0.1:9/hook", "protected", 0), (c.Url, c.Secret, c.Attempts)));
        Assert.Equal(["1:InFlight:1", "2:InFlight:1", "3:Pending:0"], Streams("e"));
        Assert.Empty(await Run(scope => Deliveries.EndpointsWithDueHeads(scope))); // leased: next due when the lease ends

        var (a, b) = (claimed[0], claimed[1]);
        var recorded = await Run(scope => (
            Delivered: Deliveries.RecordDelivered(scope, [new AttemptRecord(a.Id, 7, 1, 200, null, 1.5), new AttemptRecord(b.Id, 8, 1, 200, null, 1.5)]).ToList(),
            Retrying: Deliveries.RecordAttempt(scope, new AttemptRecord(b.Id, 7, 1, 500, "Server error", 2.5), DeliveryState.Retrying, scope.Now.AddSeconds(5), null),
            Late: Deliveries.RecordAttempt(scope, new AttemptRecord(b.Id, 7, 1, 200, null, 3), DeliveryState.Delivered, null, scope.Now)));

        Assert.Equal([a.Id], recorded.Delivered); // b's lease carries token 7, not 8
        Assert.True(recorded.Retrying);
        Assert.False(recorded.Late); // the lease it answered under is gone
        Assert.Equal(["1:Delivered:0", "2:Retrying:1", "3:Pending:1"], Streams("e"));
        var delivered = Deliveries.FindDelivery(agency, "e", a.Id)!;
        Assert.Equal((DeliveryState.Delivered, 1, 200, (DateTimeOffset?)null), (delivered.State, delivered.Attempts, delivered.LastStatus, delivered.NextAttemptAt));
        Assert.Equal([(1, (int?)200, 1.5)], delivered.AttemptLog!.Select(l => (l.Attempt, l.StatusCode, l.LatencyMs)));
        Assert.Equal(["Server error"], Deliveries.FindDelivery(agency, "e", b.Id)!.AttemptLog!.Select(l => l.Error));
        Assert.Null(Deliveries.FindDelivery(await NewAgency("stranger"), "e", a.Id));

        // A lease handed back unused is due at once, as it was; a lease that is not the one given is left alone.
        var next = await ClaimAndLease("e", token: 11);
        Assert.Equal([3L], next.Select(n => Deliveries.FindDelivery(agency, "e", n.Id)!.Position));
        await Run(scope =>
        {
            Deliveries.ReleaseLease(scope, next[0].Id, 12);
            return 0;
        });
        Assert.Equal("3:InFlight:1", Streams("e")[2]);
        await Run(scope =>
        {
            Deliveries.ReleaseLease(scope, next[0].Id, 11);
            return 0;
        });
        Assert.Equal("3:Pending:1", Streams("e")[2]);
    }

    [Fact]
    public async Task A_dead_letter_leaves_its_stream_and_is_put_back_at_its_place_with_a_fresh_schedule()
    {
        var agency = await NewAgency("dead letters");
        await NewEndpoint(agency, "e", "Address Details");
        await FourMessages(agency);
        await FanOut("e");
        var claimed = await ClaimAndLease("e", token: 3);
        var a = claimed.Single(c => c.ClientId == "A");

        await Run(scope => Deliveries.RecordAttempt(scope, new AttemptRecord(a.Id, 3, 8, 500, null, 1), DeliveryState.Failed, scope.Now, scope.Now));
        Assert.Equal(["1:Failed:0", "2:InFlight:1", "3:Pending:1"], Streams("e"));

        var states = await Run(scope => (Deliveries.StateOf(scope, agency, "e", a.Id), Deliveries.StateOf(scope, agency + 1000, "e", a.Id)));
        Assert.Equal((DeliveryState.Failed, (string?)null), states);

        var none = await Run(scope => Deliveries.RequeueFailedSince(scope, "e", scope.Now.AddMinutes(1)));
        Assert.Equal(0, none);
        var one = await Run(scope => Deliveries.RequeueFailedSince(scope, "e", scope.Now.AddMinutes(-1)));
        Assert.Equal(1, one);
        // Back at the head of its stream, before the delivery that went on meanwhile.
        Assert.Equal(["1:Pending:1", "2:InFlight:1", "3:Pending:0"], Streams("e"));
        var requeued = Deliveries.FindDelivery(agency, "e", a.Id)!;
        Assert.Equal((8, (DateTimeOffset?)null), (requeued.Attempts, requeued.FinishedAt));

        // Its retry schedule starts afresh: the attempt base is the attempts it had.
        var again = await ClaimAndLease("e", token: 4);
        await Run(scope => Deliveries.RecordAttempt(scope, new AttemptRecord(a.Id, 4, 9, 500, null, 1), DeliveryState.Failed, scope.Now, scope.Now));
        Assert.Equal([8], again.Select(d => d.AttemptBase));
        Assert.Equal(1, await Run(scope => Deliveries.RequeueFailed(scope, "e", a.Id)));
        Assert.Equal(0, await Run(scope => Deliveries.RequeueFailed(scope, "e", a.Id))); // no longer failed
        Assert.Equal(["1:Pending:1", "2:InFlight:1", "3:Pending:0"], Streams("e"));
    }

    [Fact]
    public async Task An_endpoints_failing_clock_runs_from_its_first_failure_until_a_success_and_disabling_keeps_the_first_reason()
    {
        var agency = await NewAgency("health");
        await NewEndpoint(agency, "e");
        await FourMessages(agency);

        var (first, second, gone) = await Run(scope => (Deliveries.MarkFailing(scope, "e"), Deliveries.MarkFailing(scope, "e"), Deliveries.MarkFailing(scope, "missing")));
        Assert.NotNull(first);
        Assert.Equal(first, second);
        Assert.Null(gone);
        Assert.Equal(first, Deliveries.FindEndpoint(agency, "e")!.FailingSince);

        await Run(scope =>
        {
            Deliveries.MarkSucceeded(scope, "e");
            return 0;
        });
        var succeeded = Deliveries.FindEndpoint(agency, "e")!;
        Assert.Null(succeeded.FailingSince);
        Assert.NotNull(succeeded.LastSuccessAt);

        await Run(scope =>
        {
            Deliveries.DisableEndpoint(scope, "e", "The endpoint answered 410 Gone");
            Deliveries.DisableEndpoint(scope, "e", "No successful delivery for 5 days");
            return 0;
        });
        var disabled = Deliveries.FindEndpoint(agency, "e")!;
        Assert.Equal((false, "The endpoint answered 410 Gone"), (disabled.Enabled, disabled.DisabledReason));
        Assert.Empty(await Run(scope => Deliveries.EndpointsBehind(scope, 250))); // a disabled endpoint fans nothing out
    }

    [Fact]
    public async Task Deliveries_are_listed_by_page_and_state_newest_first_counted_as_backlog_and_deleted_with_their_endpoint()
    {
        var agency = await NewAgency("lists");
        await NewEndpoint(agency, "e");
        await FourMessages(agency);
        await FanOut("e");
        var claimed = await ClaimAndLease("e", token: 5);
        await Run(scope => Deliveries.RecordDelivered(scope, [new AttemptRecord(claimed[0].Id, 5, 1, 204, null, 1)]));

        // Pages go by id (a provider may number one round's deliveries in any order of their positions).
        var (page, more) = Deliveries.ListDeliveries("e", null, 0, 3);
        Assert.Equal(page.Select(d => d.Id).Order(), page.Select(d => d.Id));
        Assert.True(more);
        var (rest, after) = Deliveries.ListDeliveries("e", null, page[^1].Id, 3);
        Assert.True(rest.Single().Id > page[^1].Id);
        Assert.False(after);
        Assert.Equal([1L, 2, 3, 4], page.Concat(rest).Select(d => d.Position).Order());
        Assert.Equal([1L], Deliveries.ListDeliveries("e", DeliveryState.Delivered, 0, 10).Deliveries.Select(d => d.Position));
        Assert.Equal(page.Concat(rest).Select(d => d.Id).OrderDescending().Take(2), Deliveries.LatestDeliveries("e", null, 2).Select(d => d.Id));
        Assert.Equal([2L], Deliveries.LatestDeliveries("e", DeliveryState.InFlight, 10).Select(d => d.Position));

        var backlog = Assert.Single(Deliveries.Backlog(), b => b.EndpointId == "e");
        Assert.Equal(3, backlog.Open);
        Assert.NotNull(backlog.Oldest);

        await Run(scope =>
        {
            Deliveries.DeleteEndpoint(scope, agency, "e");
            return 0;
        });
        Assert.Empty(Streams("e"));
        using var connection = Database.OpenReader();
        Assert.Equal(0, connection.Scalar<long>("SELECT COUNT(*) FROM delivery_attempts"));
        Assert.DoesNotContain(Deliveries.Backlog(), b => b.EndpointId == "e");
    }
}
