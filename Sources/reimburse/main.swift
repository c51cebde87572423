print("reimburse")
