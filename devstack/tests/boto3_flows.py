"""The account flows through boto3's cognito-idp client against devstack, driven by
devstack/tests/boto3.rs.

What only the test knows (an authenticator's current code at the stack's clock, a code from
devstack's mailbox), the script asks for: it prints one JSON line {"ask": ...} and reads one
JSON line {"answer": ...}. It ends with one line {"done": {...}} holding what the test checks.
Any failure raises, so the script exits non-zero with a traceback.

Usage: python boto3_flows.py ENDPOINT_URL CLIENT_ID USER_POOL_ID TOTP_USERNAME TOTP_PASSWORD
"""

import json
import signal
import sys

import boto3
from botocore.config import Config

# A hung call must not hang the test.
signal.alarm(60)


def ask(question, **details):
    print(json.dumps({"ask": question, **details}), flush=True)
    return json.loads(sys.stdin.readline())["answer"]


def main():
    endpoint, client_id, pool_id, totp_username, totp_password = sys.argv[1:6]
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=20),
    )
    done = {}

    # Seed 001: a password, then the authenticator's code.
    first = idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": totp_username, "PASSWORD": totp_password},
    )
    assert first["ChallengeName"] == "SOFTWARE_TOKEN_MFA", first
    second = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=first["Session"],
        ChallengeResponses={
            "USERNAME": totp_username,
            "SOFTWARE_TOKEN_MFA_CODE": ask("totp_code"),
        },
    )
    done["mfa"] = second["AuthenticationResult"]["AccessToken"]

    # Seeds 003 and 004: an administrator's user, its first sign-in.
    created = idp.admin_create_user(
        UserPoolId=pool_id,
        Username="boto-invitee",
        UserAttributes=[
            {"Name": "email", "Value": "boto-invitee@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    done["created_status"] = created["User"]["UserStatus"]
    temporary = ask("mail", username="boto-invitee", kind="invitation")
    challenge = idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "boto-invitee", "PASSWORD": temporary},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED", challenge
    answered = idp.admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "boto-invitee", "NEW_PASSWORD": "Boto-Invitee-Passw0rd!"},
    )
    done["invited"] = answered["AuthenticationResult"]["AccessToken"]

    # A sign-up confirmed with the mailed code, then a sign-in and GetUser.
    signed_up = idp.sign_up(
        ClientId=client_id,
        Username="boto-newcomer",
        Password="Boto-Newcomer-Passw0rd!",
        UserAttributes=[{"Name": "email", "Value": "boto-newcomer@example.com"}],
    )
    done["code_delivery"] = signed_up["CodeDeliveryDetails"]
    code = ask("mail", username="boto-newcomer", kind="sign_up_code")
    idp.confirm_sign_up(ClientId=client_id, Username="boto-newcomer", ConfirmationCode=code)
    tokens = idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "boto-newcomer", "PASSWORD": "Boto-Newcomer-Passw0rd!"},
    )["AuthenticationResult"]
    done["signed_up"] = tokens["AccessToken"]
    user = idp.get_user(AccessToken=tokens["AccessToken"])
    done["get_user"] = {
        "Username": user["Username"],
        "UserAttributes": user["UserAttributes"],
    }

    # boto3 raises devstack's errors as the modelled exceptions.
    try:
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "boto-newcomer", "PASSWORD": "Wrong-Passw0rd!"},
        )
        raise AssertionError("a wrong password signed in")
    except idp.exceptions.NotAuthorizedException as error:
        done["wrong_password"] = error.response["Error"]

    print(json.dumps({"done": done}), flush=True)


main()
