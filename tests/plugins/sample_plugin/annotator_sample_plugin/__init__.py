"""A third-party task kind, installed like any plugin: yes/no questions about a text."""


class YesNo:
    name = "yes_no"
    title = "Yes or no"
    media_fields = ()

    def validate_config(self, config):
        return dict(config)

    def validate_payload(self, payload):
        if not payload.get("text"):
            raise ValueError("needs text")

    def validate_answer(self, config, answer):
        if answer.get("value") not in (True, False):
            raise ValueError("value must be true or false")

    def score(self, config, answer, gold):
        return 1.0 if answer.get("value") == gold.get("value") else 0.0

    def agreement(self, config, answers):
        return 1.0

    def aggregate(self, config, answers, weights=None):
        yes = sum(1 for a in answers if a.get("value"))
        return {"value": yes * 2 > len(answers)}

    def widget_class(self):
        raise NotImplementedError
