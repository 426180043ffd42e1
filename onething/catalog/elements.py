"""The few data elements the engine itself reads, by key (docs/definition-format.md,
"Data elements the engine reads"). Everything else in a form is only handed on to the
departments. A bundle that wants the engine to act on a datum names its element with
one of these keys; a bundle without them simply does not get that behaviour.
"""

DELIVERY_METHOD = "delivery.method"  # enum: "pickup" (窗口领取) or "mail" (邮寄送达)
DELIVERY_ADDRESS = "delivery.address"  # the postal address when the method is "mail"
APPLICANT_MOBILE = "applicant.mobile"  # the recipient's mobile for mail delivery
RESULT_AGENT_ID = "agent.id_number"  # the ID number of whom the applicant names to collect results (代领人)

DELIVERY_METHODS = ("pickup", "mail")
