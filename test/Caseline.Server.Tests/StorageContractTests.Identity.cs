using Caseline.Server.Audit;
using Caseline.Server.Identity;
using Caseline.Server.Storage;

namespace Caseline.Server.Tests;

/// <summary>The identity and audit storage operations, on every provider.</summary>
public abstract partial class StorageContractTests
{
    private IdentityStorage Accounts => Database.Identity;

    private Task<T> IdentityUnit<T>(Func<WriteScope, T> work) => Writes.RunAsync(work, TestContext.Current.CancellationToken);

    private Task<bool> AddAccount(long? agency, string id, string login, bool mustChange = false) =>
        IdentityUnit(scope => Accounts.AddUser(scope, new NewUser(id, agency, login, login.ToLowerInvariant(), "Officer", "hash-" + id, "stamp-" + id, mustChange)));

    [Fact]
    public async Task Agencies_are_added_once_by_name_and_keep_their_second_factor_rule()
    {
        var first = await IdentityUnit(scope => Accounts.AddAgency(scope, "identity-first"));
        var again = await IdentityUnit(scope => Accounts.AddAgency(scope, "identity-first"));
        var second = await IdentityUnit(scope => Accounts.AddAgency(scope, "identity-second"));

        Assert.NotNull(first);
        Assert.Null(again);
        Assert.Equal(first, await IdentityUnit(scope => Accounts.AgencyId(scope, "identity-first")));
        Assert.Null(await IdentityUnit(scope => Accounts.AgencyId(scope, "identity-none")));
        Assert.Equal("identity-second", Accounts.AgencyName(second!.Value));
        Assert.Null(Accounts.AgencyName(second.Value + 1_000));
        Assert.Equal([(first!.Value, "identity-first"), (second.Value, "identity-second")], Accounts.Agencies().Select(a => (a.Id, a.Name)));

        Assert.False(Accounts.AgencyRequiresMfa(first.Value));
        Assert.True(await IdentityUnit(scope => Accounts.SetAgencyRequiresMfa(scope, first.Value, true)));
        Assert.False(await IdentityUnit(scope => Accounts.SetAgencyRequiresMfa(scope, second.Value + 1_000, true)));
        Assert.True(Accounts.AgencyRequiresMfa(first.Value));
        Assert.False(Accounts.AgencyRequiresMfa(second.Value));
    }

    [Fact]
    public async Task A_user_is_found_by_login_key_or_id_and_a_taken_login_adds_nobody()
    {
        var agency = await NewAgency("users");
        Assert.False(Accounts.AnyUsers());
        Assert.True(await AddAccount(agency, "u1", "Bea@Example.test"));
        Assert.False(await AddAccount(agency, "u2", "bea@example.TEST"));
        Assert.True(await AddAccount(null, "u3", "platform@example.test"));

        Assert.True(Accounts.AnyUsers());
        Assert.True(await IdentityUnit(scope => Accounts.AnyUsers(scope)));
        var found = Accounts.FindUserByLogin("bea@example.test");
        Assert.Equal(new UserAccount("u1", agency, "Bea@Example.test", "Officer", "hash-u1", false, "stamp-u1", false), found);
        Assert.Equal(found, Accounts.FindUser("u1"));
        Assert.Null(Accounts.FindUser("u2"));
        Assert.Null(Accounts.FindUser("u3")!.AgencyId);
        Assert.Equal("Bea@Example.test", await IdentityUnit(scope => Accounts.LoginOf(scope, agency, "u1")));
        Assert.Null(await IdentityUnit(scope => Accounts.LoginOf(scope, agency + 1, "u1")));
    }

    [Fact]
    public async Task An_agencys_users_are_listed_by_login_with_their_flags_and_second_factors()
    {
        var agency = await NewAgency("listed");
        var other = await NewAgency("other");
        await AddAccount(agency, "b", "b@x.test");
        await AddAccount(agency, "a", "a@x.test");
        await AddAccount(other, "c", "c@x.test");
        await IdentityUnit(scope =>
        {
            Accounts.SetFlags(scope, "b", "AgencyAdministrator", disabled: true, serviceAccount: null);
            Accounts.SetFlags(scope, "a", null, null, serviceAccount: true);
            Accounts.SetSecondFactor(scope, "a", "protected", []);
            return 0;
        });

        Assert.Equal(
            [new UserRow("a", "a@x.test", "Officer", false, true, true), new UserRow("b", "b@x.test", "AgencyAdministrator", true, false, false)],
            Accounts.Users(agency));
        Assert.Equal(("AgencyAdministrator", true, false), (await IdentityUnit(scope => Accounts.Flags(scope, agency, "b")))!.Value);
        Assert.Null(await IdentityUnit(scope => Accounts.Flags(scope, other, "b")));
    }

    [Fact]
    public async Task A_password_is_replaced_and_must_be_changed_only_when_asked()
    {
        var agency = await NewAgency("passwords");
        await AddAccount(agency, "p1", "p1@x.test", mustChange: true);
        await AddAccount(agency, "p2", "p2@x.test");
        Assert.True(Accounts.MustChangePassword("p1"));
        Assert.False(Accounts.MustChangePassword("p2"));

        Assert.True(await IdentityUnit(scope => Accounts.SetPassword(scope, "p1", "new-hash", mustChange: false)));
        Assert.False(await IdentityUnit(scope => Accounts.SetPassword(scope, "nobody", "new-hash", mustChange: false)));
        await IdentityUnit(scope => { Accounts.RequirePasswordChange(scope, "p2"); return 0; });

        Assert.Equal("new-hash", Accounts.FindUser("p1")!.PasswordHash);
        Assert.False(Accounts.MustChangePassword("p1"));
        Assert.True(Accounts.MustChangePassword("p2"));
    }

    [Fact]
    public async Task A_second_factors_codes_are_good_once_and_only_an_agencys_own_administrator_resets_it()
    {
        var agency = await NewAgency("codes");
        await AddAccount(agency, "t1", "t1@x.test");
        await IdentityUnit(scope => { Accounts.SetSecondFactor(scope, "t1", "secret-1", ["H1", "H2"]); return 0; });
        Assert.Equal("secret-1", Accounts.TotpSecret("t1"));

        Assert.True(await IdentityUnit(scope => Accounts.UseTotpStep(scope, "t1", 100)));
        Assert.False(await IdentityUnit(scope => Accounts.UseTotpStep(scope, "t1", 100)));
        Assert.False(await IdentityUnit(scope => Accounts.UseTotpStep(scope, "t1", 99)));
        Assert.True(await IdentityUnit(scope => Accounts.UseTotpStep(scope, "t1", 101)));
        Assert.True(await IdentityUnit(scope => Accounts.UseRecoveryCode(scope, "t1", "H1")));
        Assert.False(await IdentityUnit(scope => Accounts.UseRecoveryCode(scope, "t1", "H1")));

        // Replacing it starts the steps afresh and replaces the recovery codes.
        await IdentityUnit(scope => { Accounts.SetSecondFactor(scope, "t1", "secret-2", ["H3"]); return 0; });
        Assert.Equal("secret-2", await IdentityUnit(scope => Accounts.TotpSecret(scope, "t1")));
        Assert.True(await IdentityUnit(scope => Accounts.UseTotpStep(scope, "t1", 1)));
        Assert.False(await IdentityUnit(scope => Accounts.UseRecoveryCode(scope, "t1", "H2")));

        Assert.False(await IdentityUnit(scope => Accounts.RemoveSecondFactor(scope, agency + 1, "t1")));
        Assert.Equal("secret-2", Accounts.TotpSecret("t1"));
        Assert.True(await IdentityUnit(scope => Accounts.RemoveSecondFactor(scope, agency, "t1")));
        Assert.Null(Accounts.TotpSecret("t1"));
        Assert.False(await IdentityUnit(scope => Accounts.UseRecoveryCode(scope, "t1", "H3")));
        Assert.False(await IdentityUnit(scope => Accounts.RemoveSecondFactor(scope, "nobody")));
    }

    [Fact]
    public async Task Api_clients_are_added_once_changed_by_their_agency_only_and_listed_by_id()
    {
        var agency = await NewAgency("clients");
        var other = await NewAgency("clients-other");
        Assert.True(await IdentityUnit(scope => Accounts.AddClient(scope, agency, "z-cms", "Zed", "hash", "stamp")));
        Assert.True(await IdentityUnit(scope => Accounts.AddClient(scope, null, "public", "Public", null, "stamp")));
        Assert.False(await IdentityUnit(scope => Accounts.AddClient(scope, other, "z-cms", "Taken", "hash", "stamp")));
        Assert.True(await IdentityUnit(scope => Accounts.AddClient(scope, agency, "a-cms", "Aye", "hash", "stamp")));

        Assert.Equal(new ApiClientAccount("z-cms", agency, "Zed", "hash", false, "stamp"), Accounts.FindClient("z-cms"));
        Assert.Null(Accounts.FindClient("public")!.SecretHash);
        Assert.Equal(["a-cms", "z-cms"], Accounts.Clients(agency).Select(c => c.ClientId));

        Assert.Null(await IdentityUnit(scope => Accounts.UpdateClient(scope, other, "z-cms", "Mine", true)));
        Assert.Equal(new ApiClientRow("z-cms", "Zed", true), await IdentityUnit(scope => Accounts.UpdateClient(scope, agency, "z-cms", null, true)));
        Assert.Equal(new ApiClientRow("z-cms", "Zed 2", true), await IdentityUnit(scope => Accounts.UpdateClient(scope, agency, "z-cms", "Zed 2", null)));
        Assert.Null(await IdentityUnit(scope => Accounts.SetClientSecret(scope, other, "z-cms", "stolen")));
        Assert.Equal("Zed 2", await IdentityUnit(scope => Accounts.SetClientSecret(scope, agency, "z-cms", "rotated")));
        Assert.Equal("rotated", Accounts.FindClient("z-cms")!.SecretHash);
    }

    [Fact]
    public async Task Failures_count_within_their_window_lock_at_the_limit_and_are_pruned_with_expired_sessions()
    {
        var start = DateTimeOffset.UtcNow;
        for (var i = 0; i < 3; i++)
        {
            await IdentityUnit(scope => { Accounts.RecordFailure(scope, "key-a"); return 0; });
        }

        await IdentityUnit(scope => { Accounts.RecordFailure(scope, "key-b"); return 0; });

        var failures = Accounts.FailuresOf("key-a", start.AddMinutes(-1));
        Assert.Equal(3, failures.Count);
        Assert.InRange(failures.Last, start.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(0, Accounts.FailuresOf("key-a", DateTimeOffset.UtcNow.AddMinutes(1)).Count);
        Assert.Equal(default, Accounts.FailuresOf("key-none", start.AddMinutes(-1)).Last);
        Assert.Equal(["key-a"], Accounts.LockedKeys(start.AddMinutes(-1), 3));
        Assert.Equal(["key-a", "key-b"], Accounts.LockedKeys(start.AddMinutes(-1), 1).Order());

        await IdentityUnit(scope => { Accounts.ClearFailures(scope, "key-b"); return 0; });
        Assert.Equal(0, Accounts.FailuresOf("key-b", start.AddMinutes(-1)).Count);

        await IdentityUnit(scope =>
        {
            Accounts.EndSession(scope, "expired", start.AddMinutes(-5));
            Accounts.EndSession(scope, "running", start.AddHours(1));
            return 0;
        });
        var later = DateTimeOffset.UtcNow.AddMinutes(1);
        Assert.Equal(4, await IdentityUnit(scope => Accounts.Prune(scope, later, start)));
        Assert.Equal(0, Accounts.FailuresOf("key-a", start.AddMinutes(-1)).Count);
        Assert.Equal(["running"], Accounts.EndedSessions(start.AddMinutes(-10)).Keys);
    }

    [Fact]
    public async Task Stamps_are_replaced_per_account_and_an_ended_session_stays_ended_until_it_would_have_expired()
    {
        var agency = await NewAgency("stamps");
        await AddAccount(agency, "s1", "s1@x.test");
        await IdentityUnit(scope => Accounts.AddClient(scope, agency, "s-cms", "S", "hash", "client-stamp"));
        Assert.Equal("stamp-s1", Accounts.UserStamp("s1"));
        Assert.Equal("client-stamp", Accounts.ClientStamp("s-cms"));
        Assert.Null(Accounts.UserStamp("nobody"));
        Assert.Null(Accounts.ClientStamp("nobody"));

        await IdentityUnit(scope =>
        {
            Accounts.SetUserStamp(scope, "s1", "new-user-stamp");
            Accounts.SetClientStamp(scope, "s-cms", "new-client-stamp");
            return 0;
        });
        Assert.Equal("new-user-stamp", await IdentityUnit(scope => Accounts.UserStamp(scope, "s1")));
        Assert.Equal("new-client-stamp", Accounts.ClientStamp("s-cms"));

        var until = DateTimeOffset.UtcNow.AddHours(1);
        await IdentityUnit(scope => { Accounts.EndSession(scope, "session-1", until); return 0; });
        await IdentityUnit(scope => { Accounts.EndSession(scope, "session-1", until.AddHours(1)); return 0; }); // ending it again changes nothing
        Assert.True(Accounts.IsEnded("session-1", DateTimeOffset.UtcNow));
        Assert.False(Accounts.IsEnded("session-1", until));
        Assert.False(Accounts.IsEnded("session-2", DateTimeOffset.UtcNow));
        Assert.Equal(until.UtcTicks, Accounts.EndedSessions(DateTimeOffset.UtcNow)["session-1"]);
    }

    [Fact]
    public async Task The_audit_trail_is_read_forwards_and_backwards_by_cursor_and_filter_for_one_agency_only()
    {
        var agency = await NewAgency("audited");
        var other = await NewAgency("audited-other");
        var at = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        await IdentityUnit(scope =>
        {
            for (var i = 0; i < 5; i++)
            {
                scope.Audit(new AuditRow(agency, at.AddDays(i).UtcTicks, i % 2 == 0 ? "ann" : "bob", $"action {i}", i == 3 ? "EX1" : null, "127.0.0.1", 200 + i));
            }

            scope.Audit(new AuditRow(other, at.UtcTicks, "ann", "elsewhere", null, null, 200));
            return 0;
        });

        var all = Database.Audit.After(agency, new AuditFilter(), 0, 10);
        Assert.Equal(["action 0", "action 1", "action 2", "action 3", "action 4"], all.Select(r => r.Action));
        Assert.Equal(new AuditRecord(all[3].Id, at.AddDays(3), "bob", "action 3", "EX1", "127.0.0.1", 203), all[3]);
        Assert.Equal(["action 2", "action 3"], Database.Audit.After(agency, new AuditFilter(), all[1].Id, 2).Select(r => r.Action));
        Assert.Equal(["action 0", "action 2", "action 4"], Database.Audit.After(agency, new AuditFilter(Actor: "ann"), 0, 10).Select(r => r.Action));
        Assert.Equal(["action 3"], Database.Audit.After(agency, new AuditFilter(ClientId: "EX1"), 0, 10).Select(r => r.Action));
        Assert.Equal(["action 1", "action 2"], Database.Audit.After(agency, new AuditFilter(From: at.AddDays(1), To: at.AddDays(2)), 0, 10).Select(r => r.Action));

        Assert.Equal(["action 4", "action 3"], Database.Audit.Before(agency, new AuditFilter(), null, 2).Select(r => r.Action));
        Assert.Equal(["action 2", "action 1", "action 0"], Database.Audit.Before(agency, new AuditFilter(), all[3].Id, 10).Select(r => r.Action));
        Assert.Equal(["action 3", "action 1"], Database.Audit.Before(agency, new AuditFilter(Actor: "bob"), null, 10).Select(r => r.Action));
        Assert.Equal(["elsewhere"], Database.Audit.Before(other, new AuditFilter(), null, 10).Select(r => r.Action));
    }
}
